/** One chart point; Chart.js reads `{x, y}` as is when parsing is off. */
export interface ChartPoint {
  x: number;
  y: number;
}

export interface WindowLimits {
  /** Most points held. */
  maxPoints: number;
  /** Points older than the newest by more than this are dropped, ms. */
  spanMs: number;
}

/**
 * A series' recent points, sorted by time with unique timestamps (what Chart.js' `normalized` promises).
 * The `points` array is mutated in place so a chart can hold on to it.
 */
export class SeriesWindow {
  readonly points: ChartPoint[] = [];
  private readonly limits: WindowLimits;

  constructor(limits: WindowLimits) {
    this.limits = limits;
  }

  get latest(): ChartPoint | undefined {
    return this.points[this.points.length - 1];
  }

  /** Adds points (usually newer than all held ones), then trims to the limits. */
  append(ts: readonly number[], values: readonly number[]): void {
    for (let i = 0; i < ts.length; i++) this.insert(ts[i]!, values[i]!);
    this.trim();
  }

  clear(): void {
    this.points.length = 0;
  }

  private insert(x: number, y: number): void {
    const points = this.points;
    const last = points[points.length - 1];
    if (!last || x > last.x) {
      points.push({ x, y });
      return;
    }
    // Late point: binary search for its place; a repeated timestamp replaces the value.
    let low = 0;
    let high = points.length;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if (points[mid]!.x < x) low = mid + 1;
      else high = mid;
    }
    if (points[low]?.x === x) points[low]!.y = y;
    else points.splice(low, 0, { x, y });
  }

  private trim(): void {
    const points = this.points;
    const newest = this.latest;
    if (!newest) return;
    const oldestKept = newest.x - this.limits.spanMs;
    let drop = Math.max(0, points.length - this.limits.maxPoints);
    while (drop < points.length && points[drop]!.x < oldestKept) drop++;
    if (drop > 0) points.splice(0, drop);
  }
}
