/**
 * A panel's data: the series its targets answered, as Prometheus's matrix and vector results give them, named
 * by the target's `legendFormat` (`{{instance}} {{mode}}`; empty: the series' labels as PromQL writes them).
 * No DOM.
 */

export interface PanelPoint {
  x: number;
  y: number;
}

export interface PanelSeries {
  /** The name the legend, the table and the CSV show. */
  name: string;
  refId: string;
  labels: Record<string, string>;
  /** By time (ms), values as numbers (NaN and ±Inf as such). */
  points: PanelPoint[];
}

/** `{{label}}` replaced by the series' label (nothing when it has none), as Grafana's legendFormat does. */
export function legendName(format: string, labels: Record<string, string>): string {
  if (format.trim() === "") return labelsText(labels);
  return format.replace(/\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}/g, (_, name: string) => labels[name] ?? "");
}

/** `name{a="1", b="2"}`, `{a="1"}` without a name, or the name alone. */
export function labelsText(labels: Record<string, string>): string {
  const { __name__: name = "", ...rest } = labels;
  const pairs = Object.entries(rest).map(([key, value]) => `${key}="${value}"`);
  return pairs.length === 0 ? name || "{}" : `${name}{${pairs.join(", ")}}`;
}

/** A Prometheus sample value (`"1.5"`, `"NaN"`, `"+Inf"`) as a number. */
export function sampleNumber(text: string): number {
  if (text === "+Inf" || text === "Inf") return Number.POSITIVE_INFINITY;
  if (text === "-Inf") return Number.NEGATIVE_INFINITY;
  return Number(text);
}

interface ResultItem {
  metric: Record<string, string>;
  values?: Array<[number, string]>;
  value?: [number, string];
}

/** The series of one target's answer (`data` of query or query_range); a scalar is one series without labels. */
export function seriesOfAnswer(
  data: { resultType: string; result: unknown },
  target: { refId: string; legendFormat: string },
): PanelSeries[] {
  if (data.resultType === "scalar" || data.resultType === "string") {
    const [t, v] = data.result as [number, string];
    return [
      { name: target.legendFormat || "scalar", refId: target.refId, labels: {}, points: [point(t, v)] },
    ];
  }
  return (data.result as ResultItem[]).map((item) => ({
    name: legendName(target.legendFormat, item.metric),
    refId: target.refId,
    labels: item.metric,
    points: (item.values ?? (item.value ? [item.value] : [])).map(([t, v]) => point(t, v)),
  }));
}

const point = (t: number, v: string): PanelPoint => ({ x: Math.round(t * 1000), y: sampleNumber(v) });

export interface SeriesStats {
  min: number;
  max: number;
  avg: number;
  last: number;
}

/** The legend's figures over a series' finite values; NaN for each when it has none. */
export function seriesStats(points: readonly PanelPoint[]): SeriesStats {
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  let sum = 0;
  let count = 0;
  let last = Number.NaN;
  for (const { y } of points) {
    if (!Number.isFinite(y)) continue;
    if (y < min) min = y;
    if (y > max) max = y;
    sum += y;
    count++;
    last = y;
  }
  if (count === 0) return { min: Number.NaN, max: Number.NaN, avg: Number.NaN, last: Number.NaN };
  return { min, max, avg: sum / count, last };
}

/** The value a stat, gauge or bar gauge shows: the last finite value (Grafana's default reducer, "last"). */
export const lastValue = (series: PanelSeries): number => seriesStats(series.points).last;

/** The point closest in time to `time` (points sorted by time), by bisection. */
export function nearestPoint(points: readonly PanelPoint[], time: number): PanelPoint | null {
  if (points.length === 0) return null;
  let low = 0;
  let high = points.length - 1;
  while (low < high) {
    const middle = (low + high) >> 1;
    if (points[middle]!.x < time) low = middle + 1;
    else high = middle;
  }
  const before = points[low - 1];
  const at = points[low]!;
  return before && time - before.x < at.x - time ? before : at;
}

/**
 * A live panel's series after an incremental query: each series' points from `from` on, those from `freshFrom` on
 * replaced by the fresh answer's (the last step may have been partial). Series are matched by query and labels; a
 * series the fresh answer lacks keeps its older points until they leave the range.
 */
export function appendSteps(
  old: readonly PanelSeries[],
  fresh: readonly PanelSeries[],
  from: number,
  freshFrom: number,
): PanelSeries[] {
  const key = (one: PanelSeries) => `${one.refId}\u0000${labelsText(one.labels)}`;
  const freshByKey = new Map(fresh.map((one) => [key(one), one]));
  const merged = old.map((one) => {
    const kept = one.points.filter((p) => p.x >= from && p.x < freshFrom);
    const update = freshByKey.get(key(one));
    freshByKey.delete(key(one));
    return {
      ...one,
      ...(update ? { name: update.name } : {}),
      points: update ? kept.concat(update.points) : kept,
    };
  });
  return [...merged, ...freshByKey.values()].filter((one) => one.points.length > 0);
}
