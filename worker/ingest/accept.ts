import type { Context } from "hono";
import type { TokenClaims } from "../auth/tokens.ts";
import { boardConfig } from "../board/config.ts";
import { checkBoard } from "../board/name.ts";
import { principalOf } from "../board/policy.ts";
import { deviceShard, shardSid } from "../board/shards.ts";
import { shardStub } from "../board/stubs.ts";
import type { Env } from "../env.ts";
import { authorize } from "../http/credentials.ts";
import { ApiError } from "../http/errors.ts";
import { RefusalMemo } from "../http/refusal-memo.ts";
import type { StreamPosition } from "../protocol/index.ts";
import { REFUSED_REQUEST_COST } from "../shard/device-rates.ts";
import type { IngestResult } from "../shard/shard-api.ts";
import { readBody } from "./body.ts";
import { idempotencyScope } from "./device.ts";
import type { PointColumns } from "./points.ts";
import { splitByShard } from "./routing.ts";

const rateLimited = new RefusalMemo();

/** An idempotency key: printable ASCII, as clients generate them (UUIDs, hashes). */
const IDEMPOTENCY_KEY = /^[!-~]{1,128}$/;

/** What a format's parser gives: the points to store (null when none survived) and what its answer needs. */
export interface Parsed<Extra> {
  points: PointColumns | null;
  extra: Extra;
}

/**
 * How a stored request went: its points, and where they are in the board's stream (one entry per shard it went
 * to); `repeated` when its idempotency key had been stored before.
 */
export interface Stored {
  accepted: number;
  positions: StreamPosition;
  repeated: boolean;
}

type Accepted = Extract<IngestResult, { ok: true }>;

function combined(parts: Accepted[]): Stored {
  return {
    accepted: parts.reduce((sum, part) => sum + part.accepted, 0),
    positions: parts.map((part) => part.position).sort((a, b) => a.sid - b.sid),
    repeated: parts.every((part) => part.repeated),
  };
}

/** The first refusal among a request's parts, as the error the client gets. */
function refusal(results: IngestResult[]): ApiError | null {
  const refused = results.find((result) => !result.ok);
  if (!refused || refused.ok) return null;
  if (refused.status === 429) {
    const retryAfter = String(Math.ceil(refused.retryAfterMs / 1000));
    return new ApiError(429, refused.code, refused.message, undefined, { "retry-after": retryAfter });
  }
  return new ApiError(refused.status, refused.code, refused.message, refused.path);
}

/** Counts a refused request against its sender's rate; past it, the sender is refused here until its Retry-After. */
async function countRefused(
  shard: ReturnType<typeof shardStub>,
  error: ApiError,
  sender: string,
  limited: string,
): Promise<void> {
  const retryAfterMs = await shard.refused(error.code, sender);
  if (retryAfterMs > 0) {
    const message = `too many refused requests (each counts ${REFUSED_REQUEST_COST} against the rate); retry later`;
    rateLimited.remember(limited, Math.ceil(retryAfterMs / 1000), "rate_limited", message);
  }
}

async function requestHash(body: Uint8Array): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", body));
  return Array.from(digest.subarray(0, 16), (byte) => byte.toString(16).padStart(2, "0")).join("");
}

/** The request's `Idempotency-Key`, scoped to its credential; 400 when malformed. */
function idempotencyKey(c: Context, claims: TokenClaims): string | undefined {
  const key = c.req.header("idempotency-key");
  if (key === undefined) return undefined;
  if (!IDEMPOTENCY_KEY.test(key)) {
    const message = "Idempotency-Key must be 1 to 128 printable ASCII characters";
    throw new ApiError(400, "invalid_idempotency_key", message, "idempotency-key");
  }
  return `${idempotencyScope(claims)}/${key}`;
}

/**
 * The one path every ingest format takes after its own parsing: a device or gateway credential, the body read
 * within its limits (gzip undone), the format's parser, then the shards of the points' devices, which store their
 * part atomically (or recognise a repeated `Idempotency-Key`). A device's points are always one part; a gateway's
 * request for devices of several shards is stored part by part, and a retry with its key completes it exactly once.
 * Refusals throw ApiError; shards count them by code for the board's stats. `extra` is the parser's, absent when a
 * repeat was answered without parsing it. `encoding` names the one Content-Encoding a format undoes itself (see
 * `readBody`).
 */
export async function acceptIngest<Extra>(
  c: Context<{ Bindings: Env }>,
  parse: (body: Uint8Array, claims: TokenClaims, now: number) => Parsed<Extra>,
  encoding?: string,
): Promise<{ stored: Stored | null; extra?: Extra }> {
  const claims = await authorize(c.req.raw, c.env, ["device", "gateway"]);
  const board = checkBoard(claims.board);
  const shards = boardConfig(c.env).shards;
  const shard = (sid: number) => shardStub(c.env, board, sid);
  // A device's own shard; a gateway's requests may touch any shard of the layout.
  const homes = claims.device
    ? [deviceShard(claims.device, shards)]
    : Array.from({ length: shards }, (_, i) => shardSid(shards, i));
  // A sender over its rate limit is refused here until its Retry-After, before its body is read.
  const sender = claims.kind === "device" ? claims.device! : principalOf(claims);
  const limited = `${board}/${sender}`;
  rateLimited.check(limited);
  let key: { key: string; hash: string } | undefined;
  let parsed: Parsed<Extra>;
  try {
    const scoped = idempotencyKey(c, claims);
    const body = await readBody(c.req.raw, encoding);
    if (scoped) key = { key: scoped, hash: await requestHash(body) };
    parsed = parse(body, claims, Date.now());
  } catch (error) {
    // A repeat of a stored request is answered as it was, even if it would no longer pass (its ts aged, say).
    const repeatKey = error instanceof ApiError ? key : undefined;
    if (repeatKey) {
      const repeats = await Promise.all(homes.map((sid) => shard(sid).repeated(repeatKey)));
      const stored = repeats.filter((repeat): repeat is Accepted => repeat?.ok === true);
      if (stored.length > 0) return { stored: combined(stored) };
    }
    if (error instanceof ApiError)
      c.executionCtx.waitUntil(countRefused(shard(homes[0]!), error, sender, limited));
    throw error;
  }
  if (!parsed.points) return { stored: null, extra: parsed.extra };
  const parts = [...splitByShard(parsed.points, shards)];
  const results = await Promise.all(
    parts.map(([sid, points]) =>
      shard(sid).ingest({ points, principal: principalOf(claims), ...(key ? { idempotency: key } : {}) }),
    ),
  );
  const refused = refusal(results);
  if (refused?.status === 429 && claims.kind === "device")
    rateLimited.remember(limited, Number(refused.headers["retry-after"]), refused.code, refused.message);
  if (refused) throw refused;
  return { stored: combined(results as Accepted[]), extra: parsed.extra };
}
