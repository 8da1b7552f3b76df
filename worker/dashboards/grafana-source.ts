import { ApiError } from "../http/errors.ts";
import type { ImportNote } from "../protocol/dashboards.ts";

/** A JSON object of an export, read loosely: Grafana's exports vary by version. */
export type Json = Record<string, unknown>;

export const isObject = (value: unknown): value is Json =>
  typeof value === "object" && value !== null && !Array.isArray(value);

/** What an import reads an export with: the data sources it declares, and where notes go. */
export interface ImportContext {
  /** `${DS_NAME}` inputs of the export (`__inputs`) by name, to their plugin (`prometheus`, `loki`, …). */
  inputs: Map<string, string>;
  notes: ImportNote[];
}

export function note(context: ImportContext, path: string, reason: string): void {
  context.notes.push({ path, reason });
}

/** A fault of the export that leaves nothing to import: 400 naming where. */
export function refuse(path: string, message: string): never {
  throw new ApiError(400, "invalid_field", message, path);
}

/**
 * The plugin a data source reference stands for: `prometheus`, another plugin's id, `mixed` (each target names
 * its own), or `default` (none named: the board's own, which is Prometheus here). Grafana writes references as
 * `{type, uid}` objects (8.3+), names, or `${DS_…}` inputs of an export shared outside its instance.
 */
export function sourceKind(reference: unknown, context: ImportContext): string {
  if (reference === undefined || reference === null) return "default";
  const uid = isObject(reference) ? reference.uid : reference;
  if (uid === "-- Mixed --") return "mixed";
  if (uid === "-- Grafana --" || uid === "grafana" || uid === "-- Dashboard --") return "grafana";
  if (isObject(reference) && typeof reference.type === "string" && reference.type !== "datasource")
    return reference.type;
  const input = typeof uid === "string" ? /^\$\{?(\w+)\}?$/.exec(uid)?.[1] : undefined;
  if (input !== undefined) return context.inputs.get(input) ?? "default";
  return "default";
}

/** Whether targets of this kind are PromQL. */
export const isPromQL = (kind: string) => kind === "prometheus" || kind === "default";
