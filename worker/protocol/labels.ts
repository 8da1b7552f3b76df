/**
 * Labels: a small set of `key=value` pairs that, with the device and the metric, name a series. Shared by the
 * Worker and the dashboard; no runtime dependencies.
 */

export type Labels = Record<string, string>;

export const LABEL_LIMITS = {
  /** Labels one series may carry. */
  maxLabels: 16,
  keyPattern: /^[A-Za-z_][A-Za-z0-9_]{0,63}$/,
  /** Longest value, in UTF-8 bytes. */
  maxValueBytes: 128,
} as const;

const utf8 = new TextEncoder();

/** Why a label key or value is refused, or null when it is fine. */
export function labelProblem(key: string, value: unknown): string | null {
  if (!LABEL_LIMITS.keyPattern.test(key)) return `label keys must match ${LABEL_LIMITS.keyPattern.source}`;
  if (typeof value !== "string") return "label values must be strings";
  if (utf8.encode(value).byteLength > LABEL_LIMITS.maxValueBytes)
    return `label values must be at most ${LABEL_LIMITS.maxValueBytes} bytes of UTF-8`;
  return null;
}

/** A label value as written between quotes in selectors and series names. */
export function quoteLabelValue(value: string): string {
  return `"${value.replaceAll("\\", "\\\\").replaceAll('"', '\\"').replaceAll("\n", "\\n")}"`;
}

/**
 * The canonical text of a label set: sorted by key, `key="value"` joined by commas (Prometheus' form), `""` for
 * none. Equal sets give equal text, so it is part of a series' identity.
 * @example formatLabels({ route: "/a", code: "200" }) // 'code="200",route="/a"'
 */
export function formatLabels(labels: Labels): string {
  return Object.keys(labels)
    .sort()
    .map((key) => `${key}=${quoteLabelValue(labels[key]!)}`)
    .join(",");
}

/** A series as a person names it: `device:metric`, then `{labels}` when it has any. */
export function seriesName(series: { device: string; metric: string; labels?: Labels }): string {
  const labels = series.labels ? formatLabels(series.labels) : "";
  return `${series.device}:${series.metric}${labels ? `{${labels}}` : ""}`;
}

/**
 * A series' PromQL labels: its labels, `__name__` (its metric) and `instance` (its device) unless it carries an
 * `instance` label of its own (remote write keeps the original one there). Empty values are no label (an empty
 * `instance` too: recorded series of aggregations have none).
 */
export function promqlLabels(series: { device: string; metric: string; labels?: Labels }): Labels {
  const labels: Labels = { instance: series.device };
  for (const [key, value] of Object.entries(series.labels ?? {}))
    if (value !== "") labels[key] = value;
    else delete labels[key];
  labels.__name__ = series.metric;
  return labels;
}

/** Whether every one of `labels` (at least one) is a label of the series with that value: an alert is about it. */
export function labelsCover(labels: Labels, series: Labels): boolean {
  const names = Object.keys(labels);
  return names.length > 0 && names.every((name) => series[name] === labels[name]);
}
