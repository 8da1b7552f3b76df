/** Reading stored series at one time: the lookback rule for instant selectors, closed windows for ranges. */
import type { SeriesSamples } from "./querier.ts";
import type { Floats, Points, WindowSeries } from "./values.ts";

/** Index of the last sample at or before `t`, or -1. */
function lastAtOrBefore(times: Float64Array, t: number): number {
  let lo = 0;
  let hi = times.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((times[mid] as number) <= t) lo = mid + 1;
    else hi = mid;
  }
  return lo - 1;
}

/** The index of the sample an instant selector sees at `refTime`: the latest in [refTime - lookback, refTime],
 * unless it is a staleness marker; -1 when there is none. */
export function sampleAt(s: SeriesSamples, refTime: number, lookback: number): number {
  const i = lastAtOrBefore(s.timestamps, refTime);
  if (i < 0 || (s.timestamps[i] as number) < refTime - lookback || s.stale?.[i]) return -1;
  return i;
}

/**
 * A series' columns without its staleness markers (range functions skip them): storage's arrays if it has none.
 * Rollup buckets (with counts) carry no markers.
 */
function withoutStale(s: SeriesSamples): Points {
  if (!s.stale?.includes(1)) return { t: s.timestamps, v: s.values, ...(s.counts ? { n: s.counts } : {}) };
  const t: number[] = [];
  const v: number[] = [];
  for (let i = 0; i < s.timestamps.length; i++) {
    if (s.stale[i]) continue;
    t.push(s.timestamps[i] as number);
    v.push(s.values[i] as number);
  }
  return { t, v };
}

/** The index of the first time above `limit`: a short walk from `cursor` when steps move forward a little. */
function firstAbove(times: Floats, cursor: number, limit: number): number {
  let lo = cursor > 0 && (times[cursor - 1] as number) > limit ? 0 : cursor;
  for (let walked = 0; lo < times.length && walked < 8; walked++, lo++)
    if ((times[lo] as number) > limit) return lo;
  let hi = times.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((times[mid] as number) <= limit) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/**
 * Closed windows [mint, maxt] over one selector's series, staleness markers left out, read in place. Each series
 * keeps its window (one object, moved on at every call: read it before the next), so a range query's steps slide
 * along the series instead of searching it.
 */
export class RangeReader {
  private readonly windowsOf: Mutable<WindowSeries>[];

  constructor(series: readonly SeriesSamples[]) {
    this.windowsOf = series.map((s) => ({ labels: s.labels, ...withoutStale(s), from: 0, to: 0 }));
  }

  /** The non-empty windows, in the series' order. */
  windows(mint: number, maxt: number): WindowSeries[] {
    const out: WindowSeries[] = [];
    for (let i = 0; i < this.windowsOf.length; i++) {
      const w = this.window(i, mint, maxt);
      if (w) out.push(w);
    }
    return out;
  }

  /** Series `i`'s window, undefined when empty. */
  window(i: number, mint: number, maxt: number): WindowSeries | undefined {
    const w = this.windowsOf[i]!;
    w.from = firstAbove(w.t, w.from, mint - 1);
    w.to = firstAbove(w.t, Math.max(w.from, w.to), maxt);
    return w.to > w.from ? w : undefined;
  }
}
