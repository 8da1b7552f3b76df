import { type Context, Hono } from "hono";
import { HTTPException } from "hono/http-exception";
import { routePartykitRequest } from "partyserver";
import { UNCOMPRESSED } from "../../worker/http/handshake.ts";
import type { BenchEnv } from "./env.ts";
import { parseNaivePoints } from "./naive-points.ts";

type BenchContext = Context<{ Bindings: BenchEnv }>;

function stub<T extends Rpc.DurableObjectBranded | undefined>(
  namespace: DurableObjectNamespace<T>,
  name: string,
): DurableObjectStub<T> {
  return namespace.get(namespace.idFromName(name));
}

/** An integer query parameter; 400 when absent or malformed. */
function intParam(c: BenchContext, name: string): number {
  const value = Number(c.req.query(name));
  if (!Number.isSafeInteger(value)) throw new HTTPException(400, { message: `${name} must be an integer` });
  return value;
}

/** Baselines take the device from `?device=`: they skip authentication, so there is no token to read it from. */
function deviceParam(c: BenchContext): string {
  return c.req.query("device") ?? "device";
}

async function naivePoints(c: BenchContext) {
  let body: unknown;
  try {
    body = await c.req.json();
  } catch {
    throw new HTTPException(400, { message: "body is not valid JSON" });
  }
  return parseNaivePoints(body);
}

/** `/bench/*`: the baseline backends the benchmark compares the real app against. */
export const benchRoutes = new Hono<{ Bindings: BenchEnv }>()
  .basePath("/bench")
  .get("/health", (c) => c.text("ok"))
  .post("/bare/:board/ingest", async (c) => {
    await stub(c.env.BARE, c.req.param("board")).store(await c.req.arrayBuffer(), intParam(c, "points"));
    return c.json({}, 202);
  })
  .get("/bare/:board/stats", async (c) => c.json(await stub(c.env.BARE, c.req.param("board")).stats()))
  .post("/naive/:board/ingest", async (c) => {
    const points = await naivePoints(c);
    await stub(c.env.NAIVE_STORE, c.req.param("board")).ingest(deviceParam(c), points);
    return c.json({}, 202);
  })
  .get("/naive/:board/stats", async (c) =>
    c.json(await stub(c.env.NAIVE_STORE, c.req.param("board")).stats()),
  )
  .get("/naive/:board/query", async (c) => {
    const naive = stub(c.env.NAIVE_STORE, c.req.param("board"));
    return c.json(
      await naive.query(intParam(c, "from"), intParam(c, "to"), Math.max(1, intParam(c, "step"))),
    );
  })
  .get("/naive/:board/since", async (c) =>
    c.json(await stub(c.env.NAIVE_STORE, c.req.param("board")).since(intParam(c, "after"))),
  )
  .post("/naive-hub/:board/ingest", async (c) => {
    const points = await naivePoints(c);
    const sent = await stub(c.env.NAIVE_HUB, c.req.param("board")).publish(deviceParam(c), points);
    return c.json({ sent }, 202);
  })
  .get("/naive-hub/:board/live", async (c) => {
    if (c.req.header("upgrade")?.toLowerCase() !== "websocket")
      throw new HTTPException(426, { message: "WebSocket only" });
    return stub(c.env.NAIVE_HUB, c.req.param("board")).fetch(c.req.raw);
  })
  // The partyserver room, routed the way its README shows: sockets and device posts alike. `deflate=off` answers a
  // socket as our live route does (a diagnostic, not partyserver's default).
  .all("/parties/*", async (c) => {
    const routed = await routePartykitRequest(c.req.raw, c.env, { prefix: "bench/parties" });
    if (routed?.webSocket && c.req.query("deflate") === "off")
      return new Response(null, { status: 101, webSocket: routed.webSocket, headers: UNCOMPRESSED });
    return routed ?? c.json({ error: "no such party" }, 404);
  })
  .notFound((c) => c.json({ error: `no bench route for ${c.req.method} ${c.req.path}` }, 404))
  .onError((error, c) => {
    if (error instanceof HTTPException) return c.json({ error: error.message }, error.status);
    console.error(`bench ${c.req.method} ${c.req.path}: unhandled error`, error);
    return c.json({ error: "internal error" }, 500);
  });
