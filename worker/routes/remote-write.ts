import { type Context, Hono } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import type { Env } from "../env.ts";
import { DEVICE_LABEL, decodeRemoteWrite, remoteWritePoints } from "../formats/remote-write.ts";
import { ApiError } from "../http/errors.ts";
import { methodNotAllowed } from "../http/methods.ts";
import { acceptIngest } from "../ingest/accept.ts";
import { deviceRule } from "../ingest/device.ts";

/**
 * Errors as Prometheus reads them: the status decides (it retries 5xx and 429, never another 4xx) and the body,
 * plain text, goes to its log.
 */
function remoteWriteError(error: Error, c: Context): Response {
  if (error instanceof ApiError) {
    const text = `${error.code}: ${error.message}${error.path ? ` (${error.path})` : ""}`;
    return c.text(text, error.status as ContentfulStatusCode, error.headers);
  }
  console.error(`worker ${c.req.method} ${c.req.path}: unhandled error`, error);
  return c.text("internal error", 500);
}

/** `POST /api/v1/write`: Prometheus remote write 1.0 (snappy-compressed protobuf WriteRequest); 204 when stored. */
export const remoteWriteRoutes = new Hono<{ Bindings: Env }>()
  .post("/write", async (c) => {
    await acceptIngest(
      c,
      (bytes, claims, now) => {
        const type = (c.req.header("content-type") ?? "").split(";")[0]!.trim().toLowerCase();
        if (type !== "application/x-protobuf") {
          const message = "send Content-Type: application/x-protobuf";
          throw new ApiError(415, "unsupported_media_type", message, "content-type");
        }
        const rule = deviceRule(claims, c.req.query("device_label") ?? DEVICE_LABEL);
        return { points: remoteWritePoints(decodeRemoteWrite(bytes), rule, now), extra: null };
      },
      "snappy",
    );
    return c.body(null, 204);
  })
  .all("/write", methodNotAllowed("POST"))
  .onError(remoteWriteError);
