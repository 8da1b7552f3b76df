import { Hono } from "hono";
import { secureHeaders } from "hono/secure-headers";
import { assertSecret } from "./auth/tokens.ts";
import type { Env } from "./env.ts";
import { ApiError, errorResponse } from "./http/errors.ts";
import { adminRoutes } from "./routes/admin.ts";
import { alertRoutes } from "./routes/alerts.ts";
import { dashboardRoutes } from "./routes/dashboards.ts";
import { influxV1Routes, influxV2Routes } from "./routes/influx.ts";
import { ingestRoutes } from "./routes/ingest.ts";
import { liveRoutes } from "./routes/live.ts";
import { otlpRoutes } from "./routes/otlp.ts";
import { prometheusRoutes } from "./routes/prometheus.ts";
import { queryRoutes } from "./routes/query.ts";
import { remoteWriteRoutes } from "./routes/remote-write.ts";
import { ruleRoutes } from "./routes/rules.ts";

export { HubObject } from "./hub/hub-object.ts";
export { RelayObject } from "./relay/relay-object.ts";
export { ShardObject } from "./shard/shard-object.ts";

const app = new Hono<{ Bindings: Env }>()
  // The API answers data, never pages: nothing in it may run, be framed or be sniffed as something else.
  .use(
    "*",
    secureHeaders({
      contentSecurityPolicy: { defaultSrc: ["'none'"], frameAncestors: ["'none'"] },
      xFrameOptions: "DENY",
      referrerPolicy: "no-referrer",
      crossOriginResourcePolicy: false,
      crossOriginOpenerPolicy: false,
      crossOriginEmbedderPolicy: false,
    }),
  )
  .use("*", async (c, next) => {
    assertSecret(c.env.EDGEPULSE_SECRET);
    if (c.env.EDGEPULSE_SECRET_PREVIOUS)
      assertSecret(c.env.EDGEPULSE_SECRET_PREVIOUS, "EDGEPULSE_SECRET_PREVIOUS");
    await next();
  })
  .route("/api/v1", ingestRoutes)
  .route("/api/v1", remoteWriteRoutes)
  .route("/api/v2", influxV2Routes)
  .route("/", influxV1Routes)
  .route("/v1", otlpRoutes)
  .route("/api/v1", liveRoutes)
  .route("/api/v1", queryRoutes)
  .route("/api/v1", adminRoutes)
  .route("/api/v1", alertRoutes)
  .route("/api/v1", ruleRoutes)
  .route("/api/v1", prometheusRoutes)
  .route("/api/v1", dashboardRoutes)
  .notFound((c) =>
    errorResponse(new ApiError(404, "not_found", `no route for ${c.req.method} ${c.req.path}`), c),
  )
  .onError(errorResponse);

export default app;
