/** Reading stored series at one time: the lookback rule for instant selectors, closed windows for ranges. */
import type { SeriesSamples } from "./querier.ts";
import type { Points } from "./values.ts";

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

/** The samples in the closed window [mint, maxt], staleness markers left out: views of storage's arrays if it can. */
export function samplesIn(s: SeriesSamples, mint: number, maxt: number): Points {
  const from = lastAtOrBefore(s.timestamps, mint - 1) + 1;
  const to = lastAtOrBefore(s.timestamps, maxt) + 1;
  if (!s.stale?.subarray(from, to).includes(1))
    return { t: s.timestamps.subarray(from, to), v: s.values.subarray(from, to) };
  const t: number[] = [];
  const v: number[] = [];
  for (let i = from; i < to; i++) {
    if (s.stale?.[i]) continue;
    t.push(s.timestamps[i] as number);
    v.push(s.values[i] as number);
  }
  return { t, v };
}
