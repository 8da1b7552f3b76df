/**
 * A query variable's query, in Grafana's syntax for Prometheus, and what to ask the Prometheus HTTP API for it:
 *
 *   label_values(metric_or_selector, label)  →  api/v1/label/<label>/values?match[]=metric_or_selector
 *   label_values(label)                      →  api/v1/label/<label>/values
 *   query_result(expr)                       →  api/v1/query?query=expr   (each result as `name{l="v"} value ts`)
 *   metrics(regex)                           →  api/v1/label/__name__/values, the names the regex finds
 *
 * Variables in the query are interpolated first (see `interpolate.ts`). No runtime dependencies.
 */

export type VariableQuery =
  | { kind: "label_values"; label: string; match?: string }
  | { kind: "query_result"; expr: string }
  | { kind: "metrics"; regex: string };

// Grafana's own patterns: the selector of label_values may hold commas, so the label is the last argument.
const LABEL_VALUES = /^\s*label_values\(\s*(?:(.+),\s*)?([A-Za-z_][A-Za-z0-9_]*)\s*\)\s*$/s;
const QUERY_RESULT = /^\s*query_result\(\s*(.+?)\s*\)\s*$/s;
const METRICS = /^\s*metrics\(\s*(.+?)\s*\)\s*$/s;

/** Reads a query variable's query; `{error}` when it is none of Grafana's four forms. */
export function parseVariableQuery(query: string): VariableQuery | { error: string } {
  const labelValues = LABEL_VALUES.exec(query);
  if (labelValues) {
    const [, match, label] = labelValues;
    return match?.trim()
      ? { kind: "label_values", label: label!, match: match.trim() }
      : { kind: "label_values", label: label! };
  }
  const result = QUERY_RESULT.exec(query);
  if (result) return { kind: "query_result", expr: result[1]! };
  const metrics = METRICS.exec(query);
  if (metrics) {
    try {
      new RegExp(metrics[1]!);
    } catch {
      return { error: `metrics() takes a regular expression, not ${JSON.stringify(metrics[1])}` };
    }
    return { kind: "metrics", regex: metrics[1]! };
  }
  return { error: "a query variable's query is label_values(…), query_result(…) or metrics(…)" };
}

/** A request to a Prometheus HTTP API: a path under its root and the query string. */
export interface PrometheusRequest {
  path: string;
  params: URLSearchParams;
}

/** What to ask the Prometheus API for a query's values over the dashboard's range (ms since the epoch). */
export function variableQueryRequest(
  query: VariableQuery,
  range: { from: number; to: number },
): PrometheusRequest {
  const seconds = (ms: number) => String(ms / 1000);
  if (query.kind === "query_result")
    return {
      path: "api/v1/query",
      params: new URLSearchParams({ query: query.expr, time: seconds(range.to) }),
    };
  const label = query.kind === "metrics" ? "__name__" : query.label;
  const params = new URLSearchParams();
  if (query.kind === "label_values" && query.match !== undefined) params.append("match[]", query.match);
  params.set("start", seconds(range.from));
  params.set("end", seconds(range.to));
  return { path: `api/v1/label/${encodeURIComponent(label)}/values`, params };
}

interface VectorSample {
  metric: Record<string, string>;
  value: [number, string];
}

/** A query_result sample as Grafana shows it: `name{label="value",…} value timestamp_ms`. */
function sampleText({ metric, value }: VectorSample): string {
  const { __name__: name = "", ...labels } = metric;
  const pairs = Object.entries(labels).map(([key, text]) => `${key}="${text}"`);
  return `${name}{${pairs.join(",")}} ${value[1]} ${value[0] * 1000}`;
}

/** The values a query's answer (the Prometheus API's JSON) holds, in its order; [] for an answer of another shape. */
export function variableQueryValues(query: VariableQuery, answer: unknown): string[] {
  const data = (answer as { data?: unknown } | null)?.data;
  if (query.kind !== "query_result") {
    const names = Array.isArray(data) ? data.filter((item): item is string => typeof item === "string") : [];
    if (query.kind === "label_values") return names;
    const pattern = new RegExp(query.regex);
    return names.filter((name) => pattern.test(name));
  }
  const { resultType, result } = (data ?? {}) as { resultType?: string; result?: unknown };
  if (resultType === "vector" && Array.isArray(result)) return (result as VectorSample[]).map(sampleText);
  if ((resultType === "scalar" || resultType === "string") && Array.isArray(result))
    return [String(result[1])];
  return [];
}

/**
 * Grafana's regex of a query variable, as written there: `/pattern/flags`, or a bare pattern matched whole. Values
 * it does not match are dropped; where it has a capture group, the first group is the value.
 */
export function filterVariableValues(
  values: readonly string[],
  regex: string | undefined,
): string[] | { error: string } {
  if (!regex) return [...new Set(values)];
  let pattern: RegExp;
  try {
    const literal = /^\/(.*)\/([gimsuy]*)$/s.exec(regex);
    pattern = literal ? new RegExp(literal[1]!, literal[2]!.replace("g", "")) : new RegExp(`^${regex}$`);
  } catch {
    return { error: `not a regular expression: ${JSON.stringify(regex)}` };
  }
  const kept = new Set<string>();
  for (const value of values) {
    const match = pattern.exec(value);
    if (match) kept.add(match.length > 1 && match[1] !== undefined ? match[1] : value);
  }
  return [...kept];
}

/** A custom or interval variable's options: its query split at commas (`\,` is a comma inside a value), trimmed. */
export function listOptions(query: string): string[] {
  const items = query.match(/(?:\\,|[^,])+/g) ?? [];
  return items.map((item) => item.replace(/\\,/g, ",").trim()).filter((item) => item !== "");
}
