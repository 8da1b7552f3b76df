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

interface Collected {
  ts: number[];
  values: number[];
  stale: boolean[];
  sorted: boolean;
}

/**
 * Orders one series' collected samples by timestamp; of equal timestamps the first arrival is kept, as Prometheus's
 * TSDB keeps the first sample at a timestamp (a remote write retry repeats it).
 */
function finish(seriesId: number, { ts, values, stale, sorted }: Collected): RawSamples {
  let order = ts.map((_, i) => i);
  if (!sorted) order.sort((a, b) => ts[a]! - ts[b]! || a - b);
  order = order.filter((i, k) => k === 0 || ts[order[k - 1]!] !== ts[i]);
  const samples: RawSamples = {
    seriesId,
    timestamps: Float64Array.from(order, (i) => ts[i]!),
    values: Float64Array.from(order, (i) => values[i]!),
  };
  if (order.some((i) => stale[i])) samples.stale = Uint8Array.from(order, (i) => (stale[i] ? 1 : 0));
  return samples;
}

/**
 * The raw log's samples of `seriesIds` with timestamps in `[from, to]` (inclusive, as PromQL selects), one entry
 * per id in the order given. The log keeps at least `RAW_RETENTION_MS` (1 h) of batches: older samples are in the
 * rollups only. Only batches received at or after `earliestReceipt(from)` are read. `take`, when given, is told how
 * many samples each batch added and stops the read (null) when it answers false: a query's sample budget.
 */
export function readRawSamples(
  log: BatchLog,
  seriesIds: readonly number[],
  from: number,
  to: number,
  earliestReceipt: (ts: number) => number,
  take: (samples: number) => boolean = () => true,
): RawSamples[] | null {
  const collected: Collected[] = seriesIds.map(() => ({ ts: [], values: [], stale: [], sorted: true }));
  // A dense index by series id: the scan below visits every point of the window, selected or not.
  const indexOf = new Int32Array(Math.max(-1, ...seriesIds) + 1).fill(-1);
  seriesIds.forEach((id, i) => {
    indexOf[id] = i;
  });
  for (const { batch } of log.readReceivedSince(earliestReceipt(from), from, to + 1)) {
    const { seriesIds: ids, ts, values, stale } = batch;
    let taken = 0;
    for (let p = 0; p < ids.length; p++) {
      const series = collected[indexOf[ids[p]!] ?? -1];
      const t = ts[p]!;
      if (!series || t < from || t > to) continue;
      if (series.ts.length > 0 && t < series.ts.at(-1)!) series.sorted = false;
      series.ts.push(t);
      series.values.push(values[p]!);
      series.stale.push(stale?.[p] === 1);
      taken++;
    }
    if (!take(taken)) return null;
  }
  return seriesIds.map((id, i) => finish(id, collected[i]!));
}
