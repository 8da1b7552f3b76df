import type { Context, MiddlewareHandler } from "hono";
import { bodyLimit } from "hono/body-limit";
import { ApiError } from "./errors.ts";

/** The largest body an admin request (limits, alert rules) may have. */
export const MAX_ADMIN_BODY_BYTES = 4096;

/** `hono/body-limit` answering 413 in the API's error shape. */
export function adminBodyLimit(maxSize = MAX_ADMIN_BODY_BYTES): MiddlewareHandler {
  return bodyLimit({
    maxSize,
    onError: () => {
      throw new ApiError(413, "payload_too_large", `an admin body is at most ${maxSize} bytes`);
    },
  });
}

/** The request's body as a JSON object; 400 naming `what` it should describe otherwise. */
export async function jsonObject(c: Context, what: string): Promise<Record<string, unknown>> {
  let body: unknown;
  try {
    body = JSON.parse(await c.req.text());
  } catch {
    throw new ApiError(400, "invalid_json", `the body must be a JSON object of ${what}`);
  }
  if (typeof body !== "object" || body === null || Array.isArray(body))
    throw new ApiError(400, "invalid_body", `the body must be a JSON object of ${what}`);
  return body as Record<string, unknown>;
}
