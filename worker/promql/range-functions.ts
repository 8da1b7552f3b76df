/** Functions of one series' samples in a window (`rate(x[5m])`), as Prometheus 2.42's functions.go computes them. */
import { kahanSum, kahanSumInc } from "./kahan.ts";
import { quantile } from "./quantile.ts";
import type { Floats, WindowPoints } from "./values.ts";

export interface WindowContext {
  /** The evaluation time and the window's closed bounds, in ms. */
  readonly ts: number;
  readonly rangeStart: number;
  readonly rangeEnd: number;
  /** The scalar arguments besides the range, in call order. */
  readonly params: readonly number[];
}

/** undefined: no output sample for this series at this step. */
export type WindowFunction = (p: WindowPoints, c: WindowContext) => number | undefined;

// A series' columns do not change while a query reads them (a live query's selection is a new view each time).
const resetCounts = new WeakMap<Floats, Uint32Array>();

/** How many counter resets (a value below the one before) a series has up to each of its points. */
function resetsThrough(v: Floats): Uint32Array {
  let counts = resetCounts.get(v);
  if (!counts) {
    counts = new Uint32Array(v.length);
    for (let i = 1; i < v.length; i++)
      counts[i] = counts[i - 1]! + ((v[i] as number) < (v[i - 1] as number) ? 1 : 0);
    resetCounts.set(v, counts);
  }
  return counts;
}

/** rate/increase/delta: the change over the samples, extrapolated towards the window's edges. */
function extrapolatedDelta(isCounter: boolean, isRate: boolean): WindowFunction {
  return ({ t, v, from, to }, c) => {
    const n = to - from;
    if (n < 2) return undefined;
    const first = v[from] as number;
    let result = (v[to - 1] as number) - first;
    // Resets are added in order, as Prometheus adds them; a window without one (most) skips the walk.
    const resets = isCounter ? resetsThrough(v) : undefined;
    if (resets && resets[to - 1] !== resets[from]) {
      let prev = first;
      for (let i = from + 1; i < to; i++) {
        const cur = v[i] as number;
        if (cur < prev) result += prev;
        prev = cur;
      }
    }
    let durationToStart = ((t[from] as number) - c.rangeStart) / 1000;
    const durationToEnd = (c.rangeEnd - (t[to - 1] as number)) / 1000;
    const sampledInterval = ((t[to - 1] as number) - (t[from] as number)) / 1000;
    const averageBetweenSamples = sampledInterval / (n - 1);
    if (isCounter && result > 0 && first >= 0) {
      // A counter cannot go below zero: do not extrapolate past the point where it would have been zero.
      durationToStart = Math.min(durationToStart, sampledInterval * (first / result));
    }
    const threshold = averageBetweenSamples * 1.1;
    let interval = sampledInterval;
    interval += durationToStart < threshold ? durationToStart : averageBetweenSamples / 2;
    interval += durationToEnd < threshold ? durationToEnd : averageBetweenSamples / 2;
    result *= interval / sampledInterval;
    return isRate ? result / ((c.rangeEnd - c.rangeStart) / 1000) : result;
  };
}

/** irate/idelta: from the last two samples only. */
function instantDelta(isRate: boolean): WindowFunction {
  return ({ t, v, from, to }) => {
    if (to - from < 2) return undefined;
    const last = v[to - 1] as number;
    const previous = v[to - 2] as number;
    const result = isRate && last < previous ? last : last - previous;
    const interval = (t[to - 1] as number) - (t[to - 2] as number);
    if (interval === 0) return undefined;
    return isRate ? result / (interval / 1000) : result;
  };
}

/** Least squares fit of value over seconds since `interceptTime`, with compensated sums. */
function linearRegression(
  { t, v, from, to }: WindowPoints,
  interceptTime: number,
): [slope: number, intercept: number] {
  let n = 0;
  let [sumX, cX, sumY, cY, sumXY, cXY, sumX2, cX2] = [0, 0, 0, 0, 0, 0, 0, 0];
  const initY = v[from] as number;
  let constY = true;
  for (let i = from; i < to; i++) {
    const y = v[i] as number;
    if (constY && i > from && y !== initY) constY = false;
    n++;
    const x = ((t[i] as number) - interceptTime) / 1e3;
    [sumX, cX] = kahanSumInc(x, sumX, cX);
    [sumY, cY] = kahanSumInc(y, sumY, cY);
    [sumXY, cXY] = kahanSumInc(x * y, sumXY, cXY);
    [sumX2, cX2] = kahanSumInc(x * x, sumX2, cX2);
  }
  if (constY) return Number.isFinite(initY) || Number.isNaN(initY) ? [0, initY] : [Number.NaN, Number.NaN];
  sumX += cX;
  sumY += cY;
  sumXY += cXY;
  sumX2 += cX2;
  const slope = (sumXY - (sumX * sumY) / n) / (sumX2 - (sumX * sumX) / n);
  return [slope, sumY / n - (slope * sumX) / n];
}

/** The mean of rollup buckets' means, each weighed by the points it holds. */
function weightedAvg(v: Floats, n: Floats, from: number, to: number): number {
  let [sum, cSum, count] = [0, 0, 0];
  for (let i = from; i < to; i++) {
    [sum, cSum] = kahanSumInc((v[i] as number) * (n[i] as number), sum, cSum);
    count += n[i] as number;
  }
  return (sum + cSum) / count;
}

function avg({ v, n, from, to }: WindowPoints): number {
  if (n) return weightedAvg(v, n, from, to);
  let mean = 0;
  let c = 0;
  let count = 0;
  for (let i = from; i < to; i++) {
    const x = v[i] as number;
    count++;
    if (!Number.isFinite(mean) && !Number.isNaN(mean)) {
      // An infinite mean stays as it is unless a NaN or an infinity of the other sign arrives.
      if (!Number.isFinite(x) && !Number.isNaN(x) && mean > 0 === x > 0) continue;
      if (Number.isFinite(x)) continue;
    }
    [mean, c] = kahanSumInc(x / count - mean / count, mean, c);
  }
  return !Number.isFinite(mean) && !Number.isNaN(mean) ? mean : mean + c;
}

function variance({ v, from, to }: WindowPoints): number {
  let count = 0;
  let [mean, cMean, aux, cAux] = [0, 0, 0, 0];
  for (let i = from; i < to; i++) {
    const x = v[i] as number;
    count++;
    const delta = x - (mean + cMean);
    [mean, cMean] = kahanSumInc(delta / count, mean, cMean);
    [aux, cAux] = kahanSumInc(delta * (x - (mean + cMean)), aux, cAux);
  }
  return (aux + cAux) / count;
}

/** min/max_over_time: a NaN is replaced by any later value; otherwise the extreme. */
function extreme(better: (a: number, b: number) => boolean): WindowFunction {
  return ({ v, from, to }) => {
    let best = v[from] as number;
    for (let i = from; i < to; i++) {
      const x = v[i] as number;
      if (better(x, best) || Number.isNaN(best)) best = x;
    }
    return best;
  };
}

export const windowFunctions = {
  rate: extrapolatedDelta(true, true),
  increase: extrapolatedDelta(true, false),
  delta: extrapolatedDelta(false, false),
  irate: instantDelta(true),
  idelta: instantDelta(false),
  deriv: (p) => (p.to - p.from < 2 ? undefined : linearRegression(p, p.t[p.from] as number)[0]),
  predict_linear: (p, c) => {
    if (p.to - p.from < 2) return undefined;
    const [slope, intercept] = linearRegression(p, c.ts);
    return slope * (c.params[0] as number) + intercept;
  },
  resets: ({ v, from, to }) => {
    let resets = 0;
    for (let i = from + 1; i < to; i++) if ((v[i] as number) < (v[i - 1] as number)) resets++;
    return resets;
  },
  changes: ({ v, from, to }) => {
    let changes = 0;
    for (let i = from + 1; i < to; i++) {
      const [cur, prev] = [v[i] as number, v[i - 1] as number];
      if (cur !== prev && !(Number.isNaN(cur) && Number.isNaN(prev))) changes++;
    }
    return changes;
  },
  avg_over_time: avg,
  sum_over_time: ({ v, from, to }) => kahanSum(v, from, to),
  count_over_time: ({ n, from, to }) => {
    if (!n) return to - from;
    let count = 0;
    for (let i = from; i < to; i++) count += n[i] as number;
    return count;
  },
  min_over_time: extreme((a, b) => a < b),
  max_over_time: extreme((a, b) => a > b),
  last_over_time: ({ v, to }) => v[to - 1],
  present_over_time: () => 1,
  quantile_over_time: ({ v, from, to }, c) => quantile(c.params[0] as number, v, from, to),
  stddev_over_time: (p) => Math.sqrt(variance(p)),
  stdvar_over_time: variance,
} satisfies Record<string, WindowFunction>;
