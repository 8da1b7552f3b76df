import { Hono } from "hono";
import { checkBoard } from "../board/name.ts";
import { hubStub } from "../board/stubs.ts";
import type { Env } from "../env.ts";
import { authorize, VIEWER_KINDS } from "../http/credentials.ts";
import { ApiError } from "../http/errors.ts";
import { methodNotAllowed } from "../http/methods.ts";
import { knownParams } from "../http/params.ts";
import { jsonHistory } from "../protocol/index.ts";
import { parseHistoryQuery } from "../query/params.ts";

/** `GET /boards/:board/series` (catalog), `/query` (aggregated history) and `/stats` (cost and headroom). */
export const queryRoutes = new Hono<{ Bindings: Env }>()
  .get("/boards/:board/series", knownParams(), async (c) => {
    const board = checkBoard(c.req.param("board"));
    await authorize(c.req.raw, c.env, VIEWER_KINDS, board);
    return c.json({ series: await hubStub(c.env, board).listSeries() });
  })
  .all("/boards/:board/series", methodNotAllowed("GET"))
  .get("/boards/:board/query", knownParams("series", "device", "metric", "from", "to", "step"), async (c) => {
    const board = checkBoard(c.req.param("board"));
    await authorize(c.req.raw, c.env, VIEWER_KINDS, board);
    const request = parseHistoryQuery(new URL(c.req.url).searchParams, Date.now());
    const answer = await hubStub(c.env, board).history(request);
    if ("error" in answer)
      throw new ApiError(400, answer.error.code, answer.error.message, answer.error.path);
    return c.json(jsonHistory(answer));
  })
  .all("/boards/:board/query", methodNotAllowed("GET"))
  .get("/boards/:board/stats", knownParams(), async (c) => {
    const board = checkBoard(c.req.param("board"));
    await authorize(c.req.raw, c.env, VIEWER_KINDS, board);
    return c.json(await hubStub(c.env, board).stats());
  })
  .all("/boards/:board/stats", methodNotAllowed("GET"));
