import type { StoredBatch } from "./batch-codec.ts";
import type { BatchLog } from "./batch-log.ts";

/** One series' samples from the raw log, ascending by timestamp (ms). */
export interface RawSamples {
  seriesId: number;
  timestamps: Float64Array;
  /** Any float64, NaN and ±Inf included; a staleness marker's value is NaN. */
  values: Float64Array;
  /** 1 where the sample is a staleness marker; absent when the series has none in the range. */
  stale?: Uint8Array;
}

/** One series' points as they are read, in typed columns that grow by doubling: at most twice what they hold. */
class Collected {
  ts = new Float64Array(32);
  values = new Float64Array(32);
  stale: Uint8Array | undefined;
  length = 0;
  /** Whether every point came after the one before it (no reordering, no repeated timestamp). */
  ascending = true;

  /** Room for `n` more points. */
  reserve(n: number): void {
    if (this.length + n > this.ts.length) this.grow(this.length + n);
  }

  add(t: number, value: number, stale: boolean): void {
    if (this.length === this.ts.length) this.grow(this.length + 1);
    if (this.length > 0 && t <= this.ts[this.length - 1]!) this.ascending = false;
    this.ts[this.length] = t;
    this.values[this.length] = value;
    if (stale) {
      this.stale ??= new Uint8Array(this.ts.length);
      this.stale[this.length] = 1;
    }
    this.length++;
  }

  private grow(atLeast: number): void {
    const size = Math.max(this.ts.length * 2, atLeast);
    const copy = <T extends Float64Array | Uint8Array>(from: T, to: T) => {
      to.set(from);
      return to;
    };
    this.ts = copy(this.ts, new Float64Array(size));
    this.values = copy(this.values, new Float64Array(size));
    if (this.stale) this.stale = copy(this.stale, new Uint8Array(size));
  }
}

/**
 * Orders one series' collected samples by timestamp; of equal timestamps the first arrival is kept, as Prometheus's
 * TSDB keeps the first sample at a timestamp (a remote write retry repeats it).
 */
function finish(seriesId: number, c: Collected): RawSamples {
  const { ts, values, stale } = c;
  if (c.ascending) {
    const samples: RawSamples = {
      seriesId,
      timestamps: ts.subarray(0, c.length),
      values: values.subarray(0, c.length),
    };
    if (stale) samples.stale = stale.subarray(0, c.length);
    return samples;
  }
  let order = Array.from({ length: c.length }, (_, i) => i);
  order.sort((a, b) => ts[a]! - ts[b]! || a - b);
  order = order.filter((i, k) => k === 0 || ts[order[k - 1]!] !== ts[i]);
  const samples: RawSamples = {
    seriesId,
    timestamps: Float64Array.from(order, (i) => ts[i]!),
    values: Float64Array.from(order, (i) => values[i]!),
  };
  if (stale && order.some((i) => stale[i])) samples.stale = Uint8Array.from(order, (i) => stale[i]!);
  return samples;
}

/** Adds the points [from, to) of a batch whose time is in [minTs, maxTs] to `series`; returns how many. */
function addPoints(
  series: Collected,
  batch: StoredBatch,
  from: number,
  to: number,
  minTs: number,
  maxTs: number,
): number {
  const { ts, values, stale } = batch;
  let taken = 0;
  series.reserve(to - from);
  for (let p = from; p < to; p++) {
    const t = ts[p]!;
    if (t < minTs || t > maxTs) continue;
    series.add(t, values[p]!, stale?.[p] === 1);
    taken++;
  }
  return taken;
}

/**
 * The raw log's samples of `seriesIds` with timestamps in `[from, to]` (inclusive, as PromQL selects), one entry
 * per id in the order given. The log keeps at least `RAW_RETENTION_MS` (1 h) of batches: older samples are in the
 * rollups only. Only batches received at or after `earliestReceipt(from)` are read; in a batch with a runs index
 * only the runs of the wanted series are visited. `take`, when given, is told how many samples each batch added
 * and stops the read (null) when it answers false: a query's sample budget. `points`, when known (from rollups of
 * series without staleness markers in the range), is how many points the series have in the range: the read ends
 * once it has them all, so the rows after theirs are not read.
 */
export function readRawSamples(
  log: BatchLog,
  seriesIds: readonly number[],
  from: number,
  to: number,
  earliestReceipt: (ts: number) => number,
  take: (samples: number) => boolean = () => true,
  points = Number.POSITIVE_INFINITY,
): RawSamples[] | null {
  const collected = seriesIds.map(() => new Collected());
  // A dense index by series id.
  const indexOf = new Int32Array(Math.max(-1, ...seriesIds) + 1).fill(-1);
  seriesIds.forEach((id, i) => {
    indexOf[id] = i;
  });
  // No read past either array's end: V8 takes a slow path for those, and most ids are not wanted.
  const wanted = (id: number): Collected | undefined => {
    const i = id < indexOf.length ? indexOf[id]! : -1;
    return i >= 0 ? collected[i] : undefined;
  };
  let found = 0;
  for (const { batch } of points > 0 ? log.readReceivedSince(earliestReceipt(from), from, to + 1) : []) {
    let taken = 0;
    if (batch.runs) {
      const { seriesIds: runIds, starts } = batch.runs;
      for (let r = 0; r < runIds.length; r++) {
        const series = wanted(runIds[r]!);
        const end = r + 1 < starts.length ? starts[r + 1]! : batch.ts.length;
        if (series) taken += addPoints(series, batch, starts[r]!, end, from, to);
      }
    } else {
      const ids = batch.seriesIds;
      for (let p = 0; p < ids.length; p++) {
        const series = wanted(ids[p]!);
        if (series) taken += addPoints(series, batch, p, p + 1, from, to);
      }
    }
    if (!take(taken)) return null;
    found += taken;
    if (found >= points) break;
  }
  return seriesIds.map((id, i) => finish(id, collected[i]!));
}
