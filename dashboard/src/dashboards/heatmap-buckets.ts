import type { PanelSeries } from "./panel-series.ts";

/**
 * A heatmap's cells from Prometheus histogram buckets: series with an `le` label are cumulative counts, so each
 * bucket's own count is its series minus the next lower bucket's, at each time (Grafana's "format as heatmap").
 * Series without `le` are drawn as one row each, their values as they are. No DOM.
 */
export interface HeatmapCells {
  /** Row names, lowest bucket first (`0.1`, `0.5`, `+Inf`). */
  rows: string[];
  times: number[];
  /** `counts[time][row]`; null where the series has no point. */
  counts: Array<Array<number | null>>;
  max: number;
}

const bound = (le: string) => (le === "+Inf" ? Number.POSITIVE_INFINITY : Number(le));

/** Buckets grouped per label set (without `le`) are summed, as `sum by (le)` would. */
export function heatmapCells(series: readonly PanelSeries[]): HeatmapCells {
  const bucketed = series.every((one) => one.labels.le !== undefined) && series.length > 0;
  const rowsOf = new Map<string, Map<number, number>>();
  for (const one of series) {
    const row = bucketed ? one.labels.le! : one.name;
    const values = rowsOf.get(row) ?? new Map<number, number>();
    for (const { x, y } of one.points) if (Number.isFinite(y)) values.set(x, (values.get(x) ?? 0) + y);
    rowsOf.set(row, values);
  }
  const rows = [...rowsOf.keys()];
  if (bucketed) rows.sort((a, b) => bound(a) - bound(b));
  const times = [...new Set(series.flatMap((one) => one.points.map((p) => p.x)))].sort((a, b) => a - b);
  let max = 0;
  const counts = times.map((time) => {
    let below = 0;
    return rows.map((row) => {
      const value = rowsOf.get(row)!.get(time);
      if (value === undefined) return null;
      const own = bucketed ? Math.max(0, value - below) : value;
      if (bucketed) below = value;
      if (own > max) max = own;
      return own;
    });
  });
  return { rows, times, counts, max };
}
