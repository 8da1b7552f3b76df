import { Hono } from "hono";
import type { Env } from "../env.ts";
import { authorize } from "../http/credentials.ts";
import { ApiError } from "../http/errors.ts";
import { methodNotAllowed } from "../http/methods.ts";
import { INGEST_LIMITS } from "../ingest/limits.ts";
import { type PointColumns, parseIngestBody, readBodyCapped } from "../ingest/parse.ts";
import { checkBoard } from "./board-param.ts";

/** Reads and validates an ingest request's JSON body; throws ApiError naming what is wrong. */
async function readPoints(request: Request): Promise<PointColumns> {
  const contentType = request.headers.get("content-type");
  if (contentType && !/^application\/json\b/i.test(contentType)) {
    throw new ApiError(415, "unsupported_media_type", "send Content-Type: application/json", "content-type");
  }
  const text = await readBodyCapped(request, INGEST_LIMITS.maxBodyBytes);
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new ApiError(400, "invalid_json", "body is not valid JSON", "body");
  }
  return parseIngestBody(body, Date.now());
}

/** `POST /ingest`: a device's batch, validated here and stored by its board. */
export const ingestRoutes = new Hono<{ Bindings: Env }>()
  .post("/ingest", async (c) => {
    const claims = await authorize(c.req.raw, c.env, ["device"]);
    const board = c.env.BOARDS.get(c.env.BOARDS.idFromName(checkBoard(claims.board)));
    let points: PointColumns;
    try {
      points = await readPoints(c.req.raw);
    } catch (error) {
      // The board counts refusals by reason for its stats, off the answer's path.
      if (error instanceof ApiError) c.executionCtx.waitUntil(board.noteRejected(error.code));
      throw error;
    }
    const result = await board.ingest({ device: claims.device ?? "", points });
    if (result.ok) return c.json({ accepted: result.accepted, seq: result.seq }, 202);
    if (result.status === 429) {
      const retryAfter = String(Math.ceil(result.retryAfterMs / 1000));
      throw new ApiError(429, result.code, result.message, undefined, { "retry-after": retryAfter });
    }
    throw new ApiError(result.status, result.code, result.message, result.path);
  })
  .all("/ingest", methodNotAllowed("POST"));
