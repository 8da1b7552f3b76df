/**
 * Numbers kept per bucket in a series' dense array: count (0 = empty), sum, min, max, and the first and last point
 * by timestamp. On equal timestamps the earlier arrival stays first and the later becomes last.
 */
export const BUCKET_FIELDS = 8;
export const COUNT = 0;
export const SUM = 1;
export const MIN = 2;
export const MAX = 3;
const FIRST_TS = 4;
const FIRST = 5;
export const LAST_TS = 6;
export const LAST = 7;

/** One series' buckets over one chunk: `BUCKET_FIELDS` numbers per bucket. */
export type SeriesBuckets = Float64Array;

/** Folds a point into bucket `index` of a series' array. */
export function foldIntoBucket(buckets: SeriesBuckets, index: number, ts: number, value: number): void {
  const o = index * BUCKET_FIELDS;
  if (buckets[o] === 0) {
    buckets[o] = 1;
    buckets[o + SUM] = value;
    buckets[o + MIN] = value;
    buckets[o + MAX] = value;
    buckets[o + FIRST_TS] = ts;
    buckets[o + FIRST] = value;
    buckets[o + LAST_TS] = ts;
    buckets[o + LAST] = value;
    return;
  }
  buckets[o]!++;
  buckets[o + SUM]! += value;
  if (value < buckets[o + MIN]!) buckets[o + MIN] = value;
  if (value > buckets[o + MAX]!) buckets[o + MAX] = value;
  if (ts < buckets[o + FIRST_TS]!) {
    buckets[o + FIRST_TS] = ts;
    buckets[o + FIRST] = value;
  }
  if (ts >= buckets[o + LAST_TS]!) {
    buckets[o + LAST_TS] = ts;
    buckets[o + LAST] = value;
  }
}

const FORMAT_VERSION = 1;
const HEADER_BYTES = 8;
/** Per stored bucket: six f64 (count, sum, min, max, first, last), two u32 offsets into the bucket, a u8 index. */
const BYTES_PER_BUCKET = 6 * 8 + 2 * 4 + 1;
const F64_FIELDS = [COUNT, SUM, MIN, MAX, FIRST, LAST];

function align8(n: number): number {
  return Math.ceil(n / 8) * 8;
}

/**
 * The rollups of one block of series over one chunk of time at one resolution. In memory each series that has
 * points here holds a dense array; stored, it is one SQLite row whose blob lists only non-empty buckets:
 *
 *   u16 version · u16 entries · u32 reserved
 *   per entry (8-byte aligned): u16 local series index · u16 n · u32 reserved
 *     f64 count[n] sum[n] min[n] max[n] first[n] last[n] · u32 firstOffset[n] lastOffset[n] · u8 bucket[n]
 *
 * Offsets are ms from the bucket's start. Fixed-width columns decode as typed-array views.
 */
export class Segment {
  readonly chunk: number;
  readonly bucketMs: number;
  readonly bucketCount: number;
  /** By local series index (series id modulo the block size). */
  readonly series: Array<SeriesBuckets | undefined> = [];
  /** Changed since it was last written. */
  dirty = false;

  constructor(chunk: number, bucketMs: number, bucketCount: number) {
    if (bucketCount > 256) throw new Error("a chunk holds at most 256 buckets (u8 bucket indexes)");
    this.chunk = chunk;
    this.bucketMs = bucketMs;
    this.bucketCount = bucketCount;
  }

  /** Memory the series' arrays take. */
  get bytes(): number {
    let arrays = 0;
    for (const buckets of this.series) if (buckets) arrays++;
    return arrays * this.bucketCount * BUCKET_FIELDS * 8;
  }

  /** The series' array, created empty on first use. */
  buckets(local: number): SeriesBuckets {
    let buckets = this.series[local];
    if (!buckets) {
      buckets = new Float64Array(this.bucketCount * BUCKET_FIELDS);
      this.series[local] = buckets;
    }
    return buckets;
  }

  /** Sets bucket `index` of a series from a whole aggregate (used to convert older layouts). */
  setBucket(
    local: number,
    index: number,
    a: {
      count: number;
      sum: number;
      min: number;
      max: number;
      firstTs: number;
      first: number;
      lastTs: number;
      last: number;
    },
  ): void {
    this.buckets(local).set(
      [a.count, a.sum, a.min, a.max, a.firstTs, a.first, a.lastTs, a.last],
      index * BUCKET_FIELDS,
    );
  }

  encode(): Uint8Array {
    const entries: Array<{ local: number; buckets: SeriesBuckets; used: number[] }> = [];
    let size = HEADER_BYTES;
    this.series.forEach((buckets, local) => {
      if (!buckets) return;
      const used: number[] = [];
      for (let b = 0; b < this.bucketCount; b++) if (buckets[b * BUCKET_FIELDS] !== 0) used.push(b);
      if (used.length === 0) return;
      entries.push({ local, buckets, used });
      size += align8(8 + used.length * BYTES_PER_BUCKET);
    });
    const buffer = new ArrayBuffer(size);
    new Uint16Array(buffer, 0, 2).set([FORMAT_VERSION, entries.length]);
    let offset = HEADER_BYTES;
    for (const { local, buckets, used } of entries) {
      const n = used.length;
      new Uint16Array(buffer, offset, 2).set([local, n]);
      const columns = offset + 8;
      F64_FIELDS.forEach((field, k) => {
        const column = new Float64Array(buffer, columns + k * 8 * n, n);
        used.forEach((b, i) => {
          column[i] = buckets[b * BUCKET_FIELDS + field]!;
        });
      });
      const firstOffsets = new Uint32Array(buffer, columns + 48 * n, n);
      const lastOffsets = new Uint32Array(buffer, columns + 52 * n, n);
      const indexes = new Uint8Array(buffer, columns + 56 * n, n);
      used.forEach((b, i) => {
        const start = this.chunk + b * this.bucketMs;
        firstOffsets[i] = buckets[b * BUCKET_FIELDS + FIRST_TS]! - start;
        lastOffsets[i] = buckets[b * BUCKET_FIELDS + LAST_TS]! - start;
        indexes[i] = b;
      });
      offset += align8(8 + n * BYTES_PER_BUCKET);
    }
    return new Uint8Array(buffer);
  }

  /** Rebuilds a stored segment; with `only`, just those local series are decoded. */
  static decode(
    chunk: number,
    bucketMs: number,
    bucketCount: number,
    blob: ArrayBuffer,
    only?: ReadonlySet<number>,
  ): Segment {
    const segment = new Segment(chunk, bucketMs, bucketCount);
    const [version, entries] = new Uint16Array(blob, 0, 2);
    if (version !== FORMAT_VERSION) throw new Error(`unknown rollup segment format ${version}`);
    let offset = HEADER_BYTES;
    for (let e = 0; e < entries!; e++) {
      const [local, n] = new Uint16Array(blob, offset, 2) as unknown as [number, number];
      const next = offset + align8(8 + n * BYTES_PER_BUCKET);
      if (only && !only.has(local)) {
        offset = next;
        continue;
      }
      const columns = offset + 8;
      const buckets = segment.buckets(local);
      const indexes = new Uint8Array(blob, columns + 56 * n, n);
      F64_FIELDS.forEach((field, k) => {
        const column = new Float64Array(blob, columns + k * 8 * n, n);
        indexes.forEach((b, i) => {
          buckets[b * BUCKET_FIELDS + field] = column[i]!;
        });
      });
      const firstOffsets = new Uint32Array(blob, columns + 48 * n, n);
      const lastOffsets = new Uint32Array(blob, columns + 52 * n, n);
      indexes.forEach((b, i) => {
        const start = chunk + b * bucketMs;
        buckets[b * BUCKET_FIELDS + FIRST_TS] = start + firstOffsets[i]!;
        buckets[b * BUCKET_FIELDS + LAST_TS] = start + lastOffsets[i]!;
      });
      offset = next;
    }
    return segment;
  }
}
