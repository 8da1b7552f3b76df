import { type Context, Hono } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import type { Env } from "../env.ts";
import { influxPoints, isPrecision } from "../formats/influx.ts";
import { LineProtocolError } from "../formats/line-protocol.ts";
import { ApiError } from "../http/errors.ts";
import { methodNotAllowed } from "../http/methods.ts";
import { acceptIngest } from "../ingest/accept.ts";
import { bodyText } from "../ingest/body.ts";
import { deviceRule } from "../ingest/device.ts";

/** The tag naming a point's device, unless `?device_tag=` names another. */
const DEVICE_TAG = "host";

/** InfluxDB's error codes by status (its clients read `code` and `message`). */
const INFLUX_CODES: Partial<Record<number, string>> = {
  400: "invalid",
  401: "unauthorized",
  403: "forbidden",
  404: "not found",
  405: "method not allowed",
  413: "request too large",
  415: "unsupported media type",
  422: "unprocessable entity",
  429: "too many requests",
};

/** Stores a line protocol body for the board the URL names (`bucket` or `db`); 204 like InfluxDB. */
async function write(c: Context<{ Bindings: Env }>, bucket: string | undefined): Promise<Response> {
  const precision = c.req.query("precision") ?? "ns";
  if (!isPrecision(precision))
    throw new ApiError(
      400,
      "invalid_precision",
      `precision ${precision.slice(0, 20)} is not ns, us, ms or s`,
    );
  await acceptIngest(c, (bytes, claims, now) => {
    if (bucket !== claims.board) {
      const named = (bucket ?? "").slice(0, 64);
      throw new ApiError(403, "wrong_board", `the token writes to bucket ${claims.board}, not ${named}`);
    }
    const rule = deviceRule(claims, c.req.query("device_tag") ?? DEVICE_TAG);
    try {
      return { points: influxPoints(bodyText(bytes), precision, rule, now), extra: null };
    } catch (error) {
      if (error instanceof LineProtocolError) throw new ApiError(400, "invalid_line", error.message);
      throw error;
    }
  });
  return c.body(null, 204);
}

function asApiError(error: Error, c: Context): ApiError {
  if (error instanceof ApiError) return error;
  console.error(`worker ${c.req.method} ${c.req.path}: unhandled error`, error);
  return new ApiError(500, "internal", "internal error");
}

/** Errors in InfluxDB v2's shape: `{"code":"invalid","message":"line 3: ..."}`. */
function influxV2Error(error: Error, c: Context): Response {
  const api = asApiError(error, c);
  const code = INFLUX_CODES[api.status] ?? "internal error";
  const message = api.path ? `${api.message} (${api.path})` : api.message;
  return c.json({ code, message }, api.status as ContentfulStatusCode, api.headers);
}

/** Errors in InfluxDB v1's shape: `{"error":"..."}`. */
function influxV1Error(error: Error, c: Context): Response {
  const api = asApiError(error, c);
  return c.json({ error: api.message }, api.status as ContentfulStatusCode, api.headers);
}

/** `POST /api/v2/write?bucket=<board>&precision=`: InfluxDB 2 line protocol writes (Telegraf, client libraries). */
export const influxV2Routes = new Hono<{ Bindings: Env }>()
  .post("/write", (c) => write(c, c.req.query("bucket")))
  .all("/write", methodNotAllowed("POST"))
  .onError(influxV2Error);

/** `POST /write?db=<board>&precision=`: InfluxDB 1 line protocol writes. */
export const influxV1Routes = new Hono<{ Bindings: Env }>()
  .post("/write", (c) => write(c, c.req.query("db")))
  .all("/write", methodNotAllowed("POST"))
  .onError(influxV1Error);
