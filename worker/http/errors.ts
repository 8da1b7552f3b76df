import type { Context } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";

/**
 * How much of a client's input an error repeats (a quoted value, or a `path`, which can name a client's field), and
 * how long a message may get at all.
 */
const ECHO_LIMIT = 64;
const MESSAGE_LIMIT = 512;

/** A client's value quoted for an error message, cut to a bounded length. */
export function echo(value: unknown): string {
  let text: string;
  try {
    text = typeof value === "string" ? value : (JSON.stringify(value) ?? String(value));
  } catch {
    text = String(value);
  }
  return JSON.stringify(text.length > ECHO_LIMIT ? `${text.slice(0, ECHO_LIMIT)}…` : text);
}

const bounded = (text: string, limit: number) => (text.length > limit ? `${text.slice(0, limit)}…` : text);

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
    super(bounded(message, MESSAGE_LIMIT));
    this.status = status;
    this.code = code;
    this.path = path === undefined ? undefined : bounded(path, ECHO_LIMIT);
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
