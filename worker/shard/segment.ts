/**
 * Numbers kept per bucket in a series' dense array: count (0 = empty), sum, min, max, and the first and last point
 * by timestamp. On equal timestamps the earlier arrival stays first and the later becomes last.
 */
export const BUCKET_FIELDS = 8;
export const COUNT = 0;
export const SUM = 1;
export const MIN = 2;
export const MAX = 3;
export const FIRST_TS = 4;
export const FIRST = 5;
export const LAST_TS = 6;
export const LAST = 7;

/** One series' buckets over one chunk: `BUCKET_FIELDS` numbers per bucket. */
export type SeriesBuckets = Float64Array;

/**
 * Counts of the values a bucket's sum, min and max leave out, kept beside them as u32 (a series' array of these
 * exists only once it has such a value): NaN, +Inf and -Inf.
 */
export const NON_FINITE_FIELDS = 3;
export const NAN = 0;
export const POS_INF = 1;
export const NEG_INF = 2;

/** Which non-finite count a value adds to. */
function nonFiniteField(value: number): number {
  if (Number.isNaN(value)) return NAN;
  return value > 0 ? POS_INF : NEG_INF;
}

/**
 * Folds a point into bucket `index` of a series' array. Count, first and last take every value; sum, min and max
 * only finite ones (a bucket without any holds 0, +Inf, -Inf): the segment counts the others
 * (`Segment.countNonFinite`), so one NaN does not make every coarser bucket over it NaN.
 */
export function foldIntoBucket(buckets: SeriesBuckets, index: number, ts: number, value: number): void {
  const o = index * BUCKET_FIELDS;
  const finite = Number.isFinite(value);
  if (buckets[o] === 0) {
    buckets[o] = 1;
    buckets[o + SUM] = finite ? value : 0;
    buckets[o + MIN] = finite ? value : Number.POSITIVE_INFINITY;
    buckets[o + MAX] = finite ? value : Number.NEGATIVE_INFINITY;
    buckets[o + FIRST_TS] = ts;
    buckets[o + FIRST] = value;
    buckets[o + LAST_TS] = ts;
    buckets[o + LAST] = value;
    return;
  }
  buckets[o]!++;
  if (finite) {
    buckets[o + SUM]! += value;
    if (value < buckets[o + MIN]!) buckets[o + MIN] = value;
    if (value > buckets[o + MAX]!) buckets[o + MAX] = value;
  }
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
/** Entry flag: the entry's non-finite counts follow (three u32 columns); entries written before it have 0. */
const HAS_NON_FINITE = 1;
const F64_FIELDS = [COUNT, SUM, MIN, MAX, FIRST, LAST];

function align8(n: number): number {
  return Math.ceil(n / 8) * 8;
}

/** Bytes of a stored entry of `n` buckets. */
function entryBytes(n: number, withCounts: boolean): number {
  return align8(8 + n * BYTES_PER_BUCKET) + (withCounts ? align8(NON_FINITE_FIELDS * 4 * n) : 0);
}

/**
 * The rollups of one block of series over one chunk of time at one resolution. In memory each series that has
 * points here holds a dense array; stored, it is one SQLite row whose blob lists only non-empty buckets:
 *
 *   u16 version · u16 entries · u32 reserved
 *   per entry (8-byte aligned): u16 local series index · u16 n · u32 flags
 *     f64 count[n] sum[n] min[n] max[n] first[n] last[n] · u32 firstOffset[n] lastOffset[n] · u8 bucket[n]
 *     with flag HAS_NON_FINITE, 8-byte aligned: u32 nan[n] posInf[n] negInf[n]
 *
 * Offsets are ms from the bucket's start. Fixed-width columns decode as typed-array views.
 */
export class Segment {
  readonly chunk: number;
  readonly bucketMs: number;
  readonly bucketCount: number;
  /** By local series index (series id modulo the block size). */
  readonly series: Array<SeriesBuckets | undefined> = [];
  /** Non-finite counts by local series index (`NON_FINITE_FIELDS` per bucket), for series that have any. */
  readonly nonFinite: Array<Uint32Array | undefined> = [];
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
    let bytes = 0;
    for (const buckets of this.series) if (buckets) bytes += BUCKET_FIELDS * 8;
    for (const counts of this.nonFinite) if (counts) bytes += NON_FINITE_FIELDS * 4;
    return bytes * this.bucketCount;
  }

  /** Counts a non-finite value of a series in bucket `index`; the memory this added (its first one creates the counts). */
  countNonFinite(local: number, index: number, value: number): number {
    const created = this.nonFinite[local] === undefined;
    this.nonFiniteOf(local)[index * NON_FINITE_FIELDS + nonFiniteField(value)]!++;
    return created ? NON_FINITE_FIELDS * 4 * this.bucketCount : 0;
  }

  /** The series' non-finite counts, created empty on first use. */
  private nonFiniteOf(local: number): Uint32Array {
    let counts = this.nonFinite[local];
    if (!counts) {
      counts = new Uint32Array(this.bucketCount * NON_FINITE_FIELDS);
      this.nonFinite[local] = counts;
    }
    return counts;
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
    const entries: Array<{ local: number; buckets: SeriesBuckets; used: number[]; counts?: Uint32Array }> =
      [];
    let size = HEADER_BYTES;
    this.series.forEach((buckets, local) => {
      if (!buckets) return;
      const used: number[] = [];
      for (let b = 0; b < this.bucketCount; b++) if (buckets[b * BUCKET_FIELDS] !== 0) used.push(b);
      if (used.length === 0) return;
      const counts = this.nonFinite[local];
      entries.push({ local, buckets, used, ...(counts ? { counts } : {}) });
      size += entryBytes(used.length, counts !== undefined);
    });
    const buffer = new ArrayBuffer(size);
    new Uint16Array(buffer, 0, 2).set([FORMAT_VERSION, entries.length]);
    let offset = HEADER_BYTES;
    for (const { local, buckets, used, counts } of entries) {
      const n = used.length;
      new Uint16Array(buffer, offset, 2).set([local, n]);
      if (counts) new Uint32Array(buffer, offset + 4, 1)[0] = HAS_NON_FINITE;
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
      if (counts) {
        const countColumns = offset + align8(8 + n * BYTES_PER_BUCKET);
        for (let field = 0; field < NON_FINITE_FIELDS; field++) {
          const column = new Uint32Array(buffer, countColumns + field * 4 * n, n);
          used.forEach((b, i) => {
            column[i] = counts[b * NON_FINITE_FIELDS + field]!;
          });
        }
      }
      offset += entryBytes(n, counts !== undefined);
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
    for (const entry of storedEntries(blob, only)) {
      const { local, indexes } = entry;
      const buckets = segment.buckets(local);
      const columns = [entry.count, entry.sum, entry.min, entry.max, entry.first, entry.last];
      F64_FIELDS.forEach((field, k) => {
        const column = columns[k]!;
        indexes.forEach((b, i) => {
          buckets[b * BUCKET_FIELDS + field] = column[i]!;
        });
      });
      indexes.forEach((b, i) => {
        const start = chunk + b * bucketMs;
        buckets[b * BUCKET_FIELDS + FIRST_TS] = start + entry.firstOffsets[i]!;
        buckets[b * BUCKET_FIELDS + LAST_TS] = start + entry.lastOffsets[i]!;
      });
      if (entry.nonFinite) {
        const counts = segment.nonFiniteOf(local);
        entry.nonFinite.forEach((column, field) => {
          indexes.forEach((b, i) => {
            counts[b * NON_FINITE_FIELDS + field] = column[i]!;
          });
        });
      }
    }
    return segment;
  }
}

/** One stored entry's columns, as views into its segment's blob (see the layout on `Segment`), `n` buckets each. */
export interface StoredEntry {
  local: number;
  count: Float64Array;
  sum: Float64Array;
  min: Float64Array;
  max: Float64Array;
  first: Float64Array;
  last: Float64Array;
  /** Ms from each bucket's start to its first and last point. */
  firstOffsets: Uint32Array;
  lastOffsets: Uint32Array;
  /** Each bucket's index in the chunk, ascending. */
  indexes: Uint8Array;
  /** The NaN, +Inf and -Inf counts, when the entry has any. */
  nonFinite?: [nan: Uint32Array, posInf: Uint32Array, negInf: Uint32Array];
}

/** The stored entries of a segment's blob, with `only` just those local series; nothing is copied. */
export function* storedEntries(blob: ArrayBuffer, only?: ReadonlySet<number>): Generator<StoredEntry> {
  const [version, entries] = new Uint16Array(blob, 0, 2);
  if (version !== FORMAT_VERSION) throw new Error(`unknown rollup segment format ${version}`);
  // Entry headers through one view: a query walks every entry of a chunk to find a few series.
  const headers = new DataView(blob);
  let offset = HEADER_BYTES;
  for (let e = 0; e < entries!; e++) {
    const local = headers.getUint16(offset, true);
    const n = headers.getUint16(offset + 2, true);
    const withCounts = (headers.getUint32(offset + 4, true) & HAS_NON_FINITE) !== 0;
    const next = offset + entryBytes(n, withCounts);
    if (!only || only.has(local)) {
      const columns = offset + 8;
      const f64 = (k: number) => new Float64Array(blob, columns + k * 8 * n, n);
      const entry: StoredEntry = {
        local,
        count: f64(0),
        sum: f64(1),
        min: f64(2),
        max: f64(3),
        first: f64(4),
        last: f64(5),
        firstOffsets: new Uint32Array(blob, columns + 48 * n, n),
        lastOffsets: new Uint32Array(blob, columns + 52 * n, n),
        indexes: new Uint8Array(blob, columns + 56 * n, n),
      };
      if (withCounts) {
        const counts = offset + align8(8 + n * BYTES_PER_BUCKET);
        const u32 = (field: number) => new Uint32Array(blob, counts + field * 4 * n, n);
        entry.nonFinite = [u32(NAN), u32(POS_INF), u32(NEG_INF)];
      }
      yield entry;
    }
    offset = next;
  }
}
