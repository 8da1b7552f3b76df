import type { MiddlewareHandler } from "hono";
import { ApiError, echo } from "./errors.ts";

/**
 * Middleware refusing query parameters a route does not take (a typo like `stpe=` would silently use the default):
 * 400 `unknown_parameter` naming it. `ticket` (a viewer credential in URLs) is always allowed.
 */
export function knownParams(...names: string[]): MiddlewareHandler {
  const known = new Set([...names, "ticket"]);
  return async (c, next) => {
    for (const name of new URL(c.req.url).searchParams.keys()) {
      if (!known.has(name))
        throw new ApiError(
          400,
          "unknown_parameter",
          `unknown query parameter ${echo(name)}`,
          name.slice(0, 64),
        );
    }
    await next();
  };
}
