import * as v from "valibot";
import { ApiError, echo } from "./errors.ts";

/** A path into a JSON value as a reader writes it: `panels[3].gridPos.w`. */
export function jsonPath(keys: readonly unknown[]): string {
  return keys
    .map((key, i) => (typeof key === "number" ? `[${key}]` : i === 0 ? String(key) : `.${String(key)}`))
    .join("");
}

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
  const path = issue.path ? jsonPath(issue.path.map((item) => item.key)) || undefined : undefined;
  // A strict object reports a missing key as it does an unknown one, but with no input (JSON has no undefined).
  if (issue.type === "strict_object" && path !== undefined && issue.input !== undefined)
    throw new ApiError(400, "unknown_field", `unknown field ${echo(path)}`, path);
  if (issue.input === undefined) throw new ApiError(400, code, `${path ?? "a field"} is required`, path);
  throw new ApiError(
    400,
    code,
    `${issue.expected ?? "a valid value"} expected, got ${echo(issue.input)}`,
    path,
  );
}
