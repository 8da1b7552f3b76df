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

/** The sample an instant selector sees at `refTime`: the latest in [refTime - lookback, refTime], unless it is stale. */
export function sampleAt(
  s: SeriesSamples,
  refTime: number,
  lookback: number,
): { t: number; v: number } | undefined {
  const i = lastAtOrBefore(s.timestamps, refTime);
  if (i < 0) return undefined;
  const t = s.timestamps[i] as number;
  if (t < refTime - lookback || s.stale?.[i]) return undefined;
  return { t, v: s.values[i] as number };
}

/** The samples in the closed window [mint, maxt], staleness markers left out. */
export function samplesIn(s: SeriesSamples, mint: number, maxt: number): Points {
  const t: number[] = [];
  const v: number[] = [];
  for (let i = lastAtOrBefore(s.timestamps, mint - 1) + 1; i < s.timestamps.length; i++) {
    const ts = s.timestamps[i] as number;
    if (ts > maxt) break;
    if (s.stale?.[i]) continue;
    t.push(ts);
    v.push(s.values[i] as number);
  }
  return { t, v };
}
