import { ApiError } from "./errors.ts";

/** A handler for the other methods of a route: 405 naming the ones it takes. */
export function methodNotAllowed(...allowed: string[]) {
  return (c: { req: { method: string } }): never => {
    throw new ApiError(
      405,
      "method_not_allowed",
      `${c.req.method} is not allowed here; use ${allowed.join(" or ")}`,
      undefined,
      {
        allow: allowed.join(", "),
      },
    );
  };
}
