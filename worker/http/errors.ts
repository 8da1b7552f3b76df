import type { Context } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";

/** A request error with the JSON body every client sees: `{"error":{"code","message","path"?}}`. */
export class ApiError extends Error {
  readonly status: ContentfulStatusCode;
  readonly code: string;
  readonly path: string | undefined;
  readonly headers: Record<string, string>;

  constructor(
    status: ContentfulStatusCode,
    code: string,
    message: string,
    path?: string,
    headers: Record<string, string> = {},
  ) {
    super(message);
    this.status = status;
    this.code = code;
    this.path = path;
    this.headers = headers;
  }

  toJSON(): { error: { code: string; message: string; path?: string } } {
    return {
      error: {
        code: this.code,
        message: this.message,
        ...(this.path !== undefined ? { path: this.path } : {}),
      },
    };
  }
}

/** The one place errors become responses; unexpected ones are logged and answered with a bare 500. */
export function errorResponse(error: Error, c: Context): Response {
  if (error instanceof ApiError) return c.json(error.toJSON(), error.status, error.headers);
  console.error(`worker ${c.req.method} ${new URL(c.req.url).pathname}: unhandled error`, error);
  return c.json({ error: { code: "internal", message: "internal error" } }, 500);
}
