import { Hono } from "hono";
import { assertSecret } from "./auth/tokens.ts";
import type { Env } from "./env.ts";
import { ApiError, errorResponse } from "./http/errors.ts";
import { influxV1Routes, influxV2Routes } from "./routes/influx.ts";
import { ingestRoutes } from "./routes/ingest.ts";
import { liveRoutes } from "./routes/live.ts";
import { otlpRoutes } from "./routes/otlp.ts";
import { queryRoutes } from "./routes/query.ts";
import { remoteWriteRoutes } from "./routes/remote-write.ts";

export { HubObject } from "./hub/hub-object.ts";
export { RelayObject } from "./relay/relay-object.ts";
export { ShardObject } from "./shard/shard-object.ts";

const app = new Hono<{ Bindings: Env }>()
  .use("*", async (c, next) => {
    assertSecret(c.env.EDGEPULSE_SECRET);
    await next();
  })
  .route("/api/v1", ingestRoutes)
  .route("/api/v1", remoteWriteRoutes)
  .route("/api/v2", influxV2Routes)
  .route("/", influxV1Routes)
  .route("/v1", otlpRoutes)
  .route("/api/v1", liveRoutes)
  .route("/api/v1", queryRoutes)
  .notFound((c) =>
    errorResponse(new ApiError(404, "not_found", `no route for ${c.req.method} ${c.req.path}`), c),
  )
  .onError(errorResponse);

export default app;
