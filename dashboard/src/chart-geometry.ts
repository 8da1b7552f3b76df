import type { ChartPoint } from "./series-window.ts";

/** The arrays a chart draws, which the caller keeps mutating: the line, and the band's lower and upper edge. */
export interface ChartSeries {
  avg: ChartPoint[];
  min: ChartPoint[];
  max: ChartPoint[];
  /** Bucket width, ms. */
  readonly stepMs: number;
  /** Bucket starts after which the line breaks: the series ended there (a staleness marker). */
  readonly ended?: ReadonlyMap<number, number>;
}

/**
 * Whether a segment spans a gap in the data (the device stopped, the link dropped, a staleness marker ended the
 * series): after a bucket the series ended in, or longer than 3 buckets and 4 times
 * the line's mean spacing, so a series sampled every 10 s in 500 ms buckets still draws as a line.
 */
export function spansGap(series: ChartSeries, from: number, to: number): boolean {
  if (series.ended?.has(from)) return true;
  const points = series.avg;
  const mean = points.length > 1 ? (points[points.length - 1]!.x - points[0]!.x) / (points.length - 1) : 0;
  return to - from > Math.max(3 * series.stepMs, 4 * mean);
}

/**
 * Where a point is drawn (px): ±Inf at the plot area's top or bottom edge, any other value where its scale put it
 * (the scales leave non-finite values out of their range; NaN is skipped, a gap).
 */
export function clippedPixel(value: number, pixel: number, area: { top: number; bottom: number }): number {
  if (value === Number.POSITIVE_INFINITY) return area.top;
  if (value === Number.NEGATIVE_INFINITY) return area.bottom;
  return pixel;
}

/** Whether point `i` draws no line to either side (its neighbours are gaps or absent): it is shown as a dot. */
export function isolated(points: readonly ChartPoint[], i: number): boolean {
  const drawn = (k: number) => points[k] !== undefined && !Number.isNaN(points[k].y);
  return drawn(i) && !drawn(i - 1) && !drawn(i + 1);
}
