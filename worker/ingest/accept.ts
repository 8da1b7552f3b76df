import type { Context } from "hono";
import type { TokenClaims } from "../auth/tokens.ts";
import type { IngestResult } from "../board/board-object.ts";
import type { Env } from "../env.ts";
import { authorize } from "../http/credentials.ts";
import { ApiError } from "../http/errors.ts";
import { checkBoard } from "../routes/board-param.ts";
import { readBody } from "./body.ts";
import { idempotencyScope } from "./device.ts";
import type { PointColumns } from "./points.ts";

/** An idempotency key: printable ASCII, as clients generate them (UUIDs, hashes). */
const IDEMPOTENCY_KEY = /^[!-~]{1,128}$/;

/** What a format's parser gives: the points to store (null when none survived) and what its answer needs. */
export interface Parsed<Extra> {
  points: PointColumns | null;
  extra: Extra;
}

/** How a stored request went; `repeated` when its idempotency key had been stored before. */
export type Stored = Extract<IngestResult, { ok: true }>;

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
 * within its limits (gzip undone), the format's parser, then the board, which stores the points atomically (or
 * recognises a repeated `Idempotency-Key`). Refusals throw ApiError; the board counts them by code for its stats.
 * `extra` is the parser's, absent when a repeat was answered without parsing it. `encoding` names the one
 * Content-Encoding a format undoes itself (see `readBody`).
 */
export async function acceptIngest<Extra>(
  c: Context<{ Bindings: Env }>,
  parse: (body: Uint8Array, claims: TokenClaims, now: number) => Parsed<Extra>,
  encoding?: string,
): Promise<{ stored: Stored | null; extra?: Extra }> {
  const claims = await authorize(c.req.raw, c.env, ["device", "gateway"]);
  const board = c.env.BOARDS.get(c.env.BOARDS.idFromName(checkBoard(claims.board)));
  let key: { key: string; hash: string } | undefined;
  let parsed: Parsed<Extra>;
  try {
    const scoped = idempotencyKey(c, claims);
    const body = await readBody(c.req.raw, encoding);
    if (scoped) key = { key: scoped, hash: await requestHash(body) };
    parsed = parse(body, claims, Date.now());
  } catch (error) {
    // A repeat of a stored request is answered as it was, even if it would no longer pass (its ts aged, say).
    const repeat = error instanceof ApiError && key ? await board.repeated(key) : null;
    if (repeat?.ok) return { stored: repeat };
    if (error instanceof ApiError) c.executionCtx.waitUntil(board.noteRejected(error.code));
    throw error;
  }
  if (!parsed.points) return { stored: null, extra: parsed.extra };
  const result = await board.ingest({ points: parsed.points, ...(key ? { idempotency: key } : {}) });
  if (result.ok) return { stored: result, extra: parsed.extra };
  if (result.status === 429) {
    const retryAfter = String(Math.ceil(result.retryAfterMs / 1000));
    throw new ApiError(429, result.code, result.message, undefined, { "retry-after": retryAfter });
  }
  throw new ApiError(result.status, result.code, result.message, result.path);
}
