import * as v from "valibot";
import { ApiError, echo } from "./errors.ts";

/**
 * Checks external input against a schema: the value, typed, or a 400 naming the first field at fault (`path`) and
 * why; an unknown field of a strict object is `unknown_field`.
 */
export function validate<S extends v.GenericSchema>(
  schema: S,
  input: unknown,
  code = "invalid_field",
): v.InferOutput<S> {
  const result = v.safeParse(schema, input, { abortEarly: true });
  if (result.success) return result.output;
  const issue = result.issues[0];
  const path = issue.path?.map((item) => String(item.key)).join(".") || undefined;
  if (issue.type === "strict_object" && path !== undefined)
    throw new ApiError(400, "unknown_field", `unknown field ${echo(path)}`, path);
  throw new ApiError(
    400,
    code,
    `${issue.expected ?? "a valid value"} expected, got ${echo(issue.input)}`,
    path,
  );
}
