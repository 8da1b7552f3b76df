import { fromJsonValue, type JsonValue } from "../../worker/protocol/index.ts";
import { rateBetween } from "../../worker/query/counter-rate.ts";

/** One chart point; Chart.js reads `{x, y}` as is when parsing is off. */
export interface ChartPoint {
  x: number;
  y: number;
}

export interface WindowLimits {
  /** Buckets older than the newest by more than this are dropped, ms. */
  spanMs: number;
  /** Bucket width, ms: points fold into the bucket starting at `ts - ts % stepMs`, as the board's rollups do. */
  stepMs: number;
}

/** Aggregated buckets in columns, as a history answer carries them (`avg` over `count` points, NaN and ±Inf as text). */
export interface BucketColumns {
  ts: readonly number[];
  avg: readonly JsonValue[];
  min: readonly JsonValue[];
  max: readonly JsonValue[];
  count: readonly number[];
  last: readonly JsonValue[];
  /** Counters: the board's rate per second since the previous bucket (see the query API). */
  rate?: ReadonlyArray<number | null>;
}

/** Folds a value into a bucket's min as Prometheus's `min_over_time` does: NaN only while every value is NaN. */
function lower(min: number, value: number): number {
  return value < min || Number.isNaN(min) ? value : min;
}

function higher(max: number, value: number): number {
  return value > max || Number.isNaN(max) ? value : max;
}

/**
 * A series' buckets over a time range, sorted by start with one entry per bucket (what Chart.js' `normalized`
 * promises): the average as the line, min and max as the band. Loaded from history, then fed live points, which
 * merge into the same buckets exactly. The point arrays are mutated in place so a chart can hold on to them.
 * Values follow the board's history: a NaN makes its bucket's average NaN (a gap), ±Inf stays ±Inf (the chart
 * clips it); a staleness marker is no value but ends the line after the bucket it falls in (or the one before).
 */
export class SeriesWindow {
  readonly avg: ChartPoint[] = [];
  readonly min: ChartPoint[] = [];
  readonly max: ChartPoint[] = [];
  private readonly sums: number[] = [];
  private readonly counts: number[] = [];
  /** Each bucket's last value and its time, and the board's rate for buckets that came from history. */
  private readonly lasts: ChartPoint[] = [];
  private readonly boardRates: Array<number | null | undefined> = [];
  /** Bucket starts after which the line breaks (a staleness marker), and the marker's ts. */
  readonly ended = new Map<number, number>();
  private limits: WindowLimits;
  private reading: ChartPoint | undefined;
  private readingStale = false;

  constructor(limits: WindowLimits) {
    this.limits = limits;
  }

  /** The newest reading by timestamp, unaggregated: what the card shows big. */
  get latest(): ChartPoint | undefined {
    return this.reading;
  }

  /** Whether the newest reading is a staleness marker (the series ended). */
  get latestIsStale(): boolean {
    return this.readingStale;
  }

  /** How many points the buckets hold. */
  get sampleCount(): number {
    let total = 0;
    for (const count of this.counts) total += count;
    return total;
  }

  /** Bucket width, ms. */
  get stepMs(): number {
    return this.limits.stepMs;
  }

  /** Drops the buckets and takes new limits; the latest reading stays. */
  configure(limits: WindowLimits): void {
    this.limits = limits;
    this.clear();
  }

  /** Replaces the buckets with a history answer's. */
  load(history: BucketColumns): void {
    this.clear();
    for (let i = 0; i < history.ts.length; i++) {
      const count = history.count[i]!;
      const lastValue = fromJsonValue(history.last[i]!);
      // A history bucket's last point was taken somewhere in it: its end is the closest guess for the live rate after it.
      const last = { x: history.ts[i]! + this.limits.stepMs - 1, y: lastValue };
      this.insert(
        this.avg.length,
        history.ts[i]!,
        fromJsonValue(history.avg[i]!) * count,
        count,
        fromJsonValue(history.min[i]!),
        fromJsonValue(history.max[i]!),
        last,
      );
      this.boardRates[this.boardRates.length - 1] = history.rate?.[i];
      this.note(history.ts[i]!, lastValue);
    }
    this.trim();
  }

  /** Folds live points into their buckets (`stale[i]` marks a staleness marker), then drops buckets that left the span. */
  append(ts: readonly number[], values: readonly number[], stale?: readonly boolean[]): void {
    for (let i = 0; i < ts.length; i++) {
      const marker = stale?.[i] === true;
      if (marker) this.end(ts[i]!);
      else this.fold(ts[i]!, values[i]!);
      this.note(ts[i]!, values[i]!, marker);
    }
    this.trim();
  }

  /**
   * A counter's line: its rate per second between consecutive buckets, as the board computes it (history buckets
   * carry the board's own figures), a drop read as a reset, so a restart draws no dive.
   */
  rates(): ChartPoint[] {
    const line: ChartPoint[] = [];
    for (let i = 1; i < this.avg.length; i++) {
      const board = this.boardRates[i];
      if (board !== undefined) {
        if (board !== null) line.push({ x: this.avg[i]!.x, y: board });
        continue;
      }
      const previous = this.lasts[i - 1]!;
      const next = this.lasts[i]!;
      const rate = rateBetween({ value: previous.y, ts: previous.x }, { value: next.y, ts: next.x });
      if (rate !== null) line.push({ x: this.avg[i]!.x, y: rate });
    }
    return line;
  }

  /** Takes a reading known from elsewhere (a snapshot's last value) without charting it. */
  note(ts: number, value: number, stale = false): void {
    if (this.reading && ts < this.reading.x) return;
    this.reading = { x: ts, y: value };
    this.readingStale = stale;
  }

  clear(): void {
    for (const column of this.columns()) column.length = 0;
    this.ended.clear();
  }

  /** A staleness marker at `ts`: the line breaks after the bucket it falls in, or the newest one before. */
  private end(ts: number): void {
    const start = ts - (ts % this.limits.stepMs);
    const index = this.bucketIndex(start);
    const bucket = this.avg[index]?.x === start ? this.avg[index] : this.avg[index - 1];
    if (bucket) this.ended.set(bucket.x, ts);
  }

  private fold(ts: number, value: number): void {
    const start = ts - (ts % this.limits.stepMs);
    const index = this.bucketIndex(start);
    // A point after a marker in the marker's bucket: the series came back, the line goes on.
    if ((this.ended.get(start) ?? Number.POSITIVE_INFINITY) < ts) this.ended.delete(start);
    if (this.avg[index]?.x !== start) {
      this.insert(index, start, value, 1, value, value, { x: ts, y: value });
      return;
    }
    if (ts >= this.lasts[index]!.x) this.lasts[index] = { x: ts, y: value };
    const count = ++this.counts[index]!;
    this.sums[index]! += value;
    this.avg[index]!.y = this.sums[index]! / count;
    this.min[index]!.y = lower(this.min[index]!.y, value);
    this.max[index]!.y = higher(this.max[index]!.y, value);
  }

  /** Where the bucket starting at `start` is or belongs; live points nearly always land in the last one. */
  private bucketIndex(start: number): number {
    const last = this.avg.length - 1;
    if (last < 0 || this.avg[last]!.x < start) return last + 1;
    if (this.avg[last]!.x === start) return last;
    let low = 0;
    let high = last;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if (this.avg[mid]!.x < start) low = mid + 1;
      else high = mid;
    }
    return low;
  }

  private insert(
    index: number,
    start: number,
    sum: number,
    count: number,
    min: number,
    max: number,
    last: ChartPoint,
  ): void {
    this.lasts.splice(index, 0, last);
    this.boardRates.splice(index, 0, undefined);
    this.avg.splice(index, 0, { x: start, y: sum / count });
    this.min.splice(index, 0, { x: start, y: min });
    this.max.splice(index, 0, { x: start, y: max });
    this.sums.splice(index, 0, sum);
    this.counts.splice(index, 0, count);
  }

  private trim(): void {
    const newest = this.avg[this.avg.length - 1];
    if (!newest) return;
    const oldestKept = newest.x - this.limits.spanMs;
    let drop = 0;
    while (drop < this.avg.length && this.avg[drop]!.x < oldestKept) drop++;
    if (drop > 0) for (const column of this.columns()) column.splice(0, drop);
    for (const start of this.ended.keys()) if (start < oldestKept) this.ended.delete(start);
  }

  private columns(): unknown[][] {
    return [this.avg, this.min, this.max, this.sums, this.counts, this.lasts, this.boardRates];
  }
}
