/** Smallest value told apart from zero, in the recorded unit (ms here). */
const MIN_VALUE = 0.01;
/** Each bucket is this much wider than the one before: percentiles are exact to about 1%. */
const GROWTH = 1.02;
const LOG_GROWTH = Math.log(GROWTH);
/** Buckets up to MIN_VALUE * GROWTH^BUCKETS, about an hour in ms; larger values land in the last one. */
const BUCKETS = 1000;

/** A histogram's counts in a form that crosses `postMessage`. */
export interface HistogramData {
  counts: Uint32Array;
  count: number;
  sum: number;
  max: number;
}

/** Log-bucketed histogram: constant memory however many values, mergeable across threads. */
export class Histogram {
  private readonly counts = new Uint32Array(BUCKETS);
  count = 0;
  sum = 0;
  max = 0;

  /** Rebuilds a histogram sent by another thread. */
  static from(data: HistogramData): Histogram {
    const histogram = new Histogram();
    histogram.merge(data);
    return histogram;
  }

  /** Records `value` `times` times. */
  record(value: number, times = 1): void {
    const index = value <= MIN_VALUE ? 0 : Math.ceil(Math.log(value / MIN_VALUE) / LOG_GROWTH);
    this.counts[Math.min(index, BUCKETS - 1)]! += times;
    this.count += times;
    this.sum += value * times;
    if (value > this.max) this.max = value;
  }

  merge(other: HistogramData): void {
    for (let i = 0; i < BUCKETS; i++) this.counts[i]! += other.counts[i]!;
    this.count += other.count;
    this.sum += other.sum;
    this.max = Math.max(this.max, other.max);
  }

  /** The value below which a fraction `q` (0..1) of the values fall: the upper edge of its bucket. */
  quantile(q: number): number {
    if (this.count === 0) return Number.NaN;
    const rank = Math.max(1, Math.ceil(q * this.count));
    let seen = 0;
    for (let i = 0; i < BUCKETS; i++) {
      seen += this.counts[i]!;
      if (seen >= rank) return Math.min(MIN_VALUE * GROWTH ** i, this.max);
    }
    return this.max;
  }

  get mean(): number {
    return this.count === 0 ? Number.NaN : this.sum / this.count;
  }

  toData(): HistogramData {
    return { counts: this.counts, count: this.count, sum: this.sum, max: this.max };
  }
}
