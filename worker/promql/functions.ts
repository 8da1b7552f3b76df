/**
 * The function table, one row per PromQL function as in Prometheus's parser/functions.go: argument types (the last
 * `optional` of them may be left out; `variadic` repeats the last), return type, implementation. A function taking
 * a range vector is a window function, applied per series and step by the evaluator.
 */
import type { ValueType } from "./ast.ts";
import { histogramQuantile } from "./histogram.ts";
import { type InstantFunction, instantFunctions, numberOf, samplesOf } from "./instant-functions.ts";
import { labelFunctions } from "./label-functions.ts";
import { type WindowFunction, windowFunctions } from "./range-functions.ts";
import { vector } from "./values.ts";

interface Signature {
  readonly args: readonly ValueType[];
  readonly optional?: number;
  readonly variadic?: boolean;
  readonly returns: ValueType;
}

export type FunctionDef =
  | (Signature & { readonly kind: "instant"; readonly impl: InstantFunction })
  | (Signature & {
      readonly kind: "window";
      readonly impl: WindowFunction;
      readonly keepMetricName?: boolean;
    })
  /** `absent_over_time`: a verdict on the whole window (whether any series is in it), not per series. */
  | (Signature & { readonly kind: "absence" });

const V: ValueType = "vector";
const M: ValueType = "matrix";
const S: ValueType = "scalar";
const STR: ValueType = "string";

const instant = (args: ValueType[], impl: InstantFunction, more: Partial<Signature> = {}): FunctionDef => ({
  kind: "instant",
  args,
  returns: V,
  impl,
  ...more,
});
type WindowDef = Extract<FunctionDef, { kind: "window" }>;
const window = (impl: WindowFunction, params: ValueType[] = [], before: ValueType[] = []): WindowDef => ({
  kind: "window",
  args: [...before, M, ...params],
  returns: V,
  impl,
});
/** Instant functions of one vector, or of vector(time()) when called without it (the date functions). */
const ofTimeByDefault = (impl: InstantFunction): FunctionDef => instant([V], impl, { optional: 1 });

const f = instantFunctions;
const w = windowFunctions;

export const functions: Readonly<Record<string, FunctionDef>> = {
  abs: instant([V], f.abs),
  absent: instant([V], labelFunctions.absent),
  absent_over_time: { kind: "absence", args: [M], returns: V },
  acos: instant([V], f.acos),
  acosh: instant([V], f.acosh),
  asin: instant([V], f.asin),
  asinh: instant([V], f.asinh),
  atan: instant([V], f.atan),
  atanh: instant([V], f.atanh),
  avg_over_time: window(w.avg_over_time),
  ceil: instant([V], f.ceil),
  changes: window(w.changes),
  clamp: instant([V, S, S], f.clamp),
  clamp_max: instant([V, S], f.clamp_max),
  clamp_min: instant([V, S], f.clamp_min),
  cos: instant([V], f.cos),
  cosh: instant([V], f.cosh),
  count_over_time: window(w.count_over_time),
  day_of_month: ofTimeByDefault(f.day_of_month),
  day_of_week: ofTimeByDefault(f.day_of_week),
  day_of_year: ofTimeByDefault(f.day_of_year),
  days_in_month: ofTimeByDefault(f.days_in_month),
  deg: instant([V], f.deg),
  delta: window(w.delta),
  deriv: window(w.deriv),
  exp: instant([V], f.exp),
  floor: instant([V], f.floor),
  histogram_quantile: instant([S, V], ([q, v]) => vector(histogramQuantile(numberOf(q), samplesOf(v)))),
  hour: ofTimeByDefault(f.hour),
  idelta: window(w.idelta),
  increase: window(w.increase),
  irate: window(w.irate),
  label_join: instant([V, STR, STR, STR], labelFunctions.label_join, { variadic: true }),
  label_replace: instant([V, STR, STR, STR, STR], labelFunctions.label_replace),
  last_over_time: { ...window(w.last_over_time), keepMetricName: true },
  ln: instant([V], f.ln),
  log10: instant([V], f.log10),
  log2: instant([V], f.log2),
  max_over_time: window(w.max_over_time),
  min_over_time: window(w.min_over_time),
  minute: ofTimeByDefault(f.minute),
  month: ofTimeByDefault(f.month),
  pi: instant([], f.pi, { returns: S }),
  predict_linear: window(w.predict_linear, [S]),
  present_over_time: window(w.present_over_time),
  quantile_over_time: window(w.quantile_over_time, [], [S]),
  rad: instant([V], f.rad),
  rate: window(w.rate),
  resets: window(w.resets),
  round: instant([V, S], f.round, { optional: 1 }),
  scalar: instant([V], f.scalar, { returns: S }),
  sgn: instant([V], f.sgn),
  sin: instant([V], f.sin),
  sinh: instant([V], f.sinh),
  sort: instant([V], f.sort),
  sort_desc: instant([V], f.sort_desc),
  sqrt: instant([V], f.sqrt),
  stddev_over_time: window(w.stddev_over_time),
  stdvar_over_time: window(w.stdvar_over_time),
  sum_over_time: window(w.sum_over_time),
  tan: instant([V], f.tan),
  tanh: instant([V], f.tanh),
  time: instant([], f.time, { returns: S }),
  timestamp: instant([V], f.timestamp),
  vector: instant([S], f.vector),
  year: ofTimeByDefault(f.year),
};
