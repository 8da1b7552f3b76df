/** Functions of instant vectors and scalars: math, clamping, rounding, dates, sorting, type conversions. */
import type { Expr } from "./ast.ts";
import { dropMetricName } from "./labels.ts";
import { goLog2, goLog10, utcDate } from "./math.ts";
import type { Sample, Value } from "./values.ts";
import { scalar, vector } from "./values.ts";

export interface CallContext {
  readonly ts: number;
  readonly argExprs: readonly Expr[];
}

export type InstantFunction = (args: readonly Value[], c: CallContext) => Value;

export const samplesOf = (v: Value | undefined): readonly Sample[] => (v?.kind === "vector" ? v.samples : []);
export const numberOf = (v: Value | undefined): number => (v?.kind === "scalar" ? v.value : Number.NaN);
export const stringOf = (v: Value | undefined): string => (v?.kind === "string" ? v.value : "");

/** Applies f to every sample's value, dropping the metric name (the shape of most functions). */
export function mapValues(f: (x: number) => number): InstantFunction {
  return ([v]) => mapSamples(v, f);
}

const mapSamples = (v: Value | undefined, f: (x: number) => number): Value =>
  vector(samplesOf(v).map((s) => ({ labels: dropMetricName(s.labels), value: f(s.value) })));

/** Date functions: of each sample's value as Unix seconds, or of the evaluation time when called without one. */
function dateFunction(f: (d: Date) => number): InstantFunction {
  return (args, c) =>
    args.length === 0
      ? vector([{ labels: {}, value: f(utcDate(c.ts / 1000)) }])
      : mapSamples(args[0], (x) => f(utcDate(x)));
}

const daysInMonth = (d: Date): number =>
  new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 0)).getUTCDate();
const dayOfYear = (d: Date): number =>
  Math.round(
    (Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate()) - Date.UTC(d.getUTCFullYear(), 0, 1)) /
      86_400_000,
  ) + 1;

/** Ascending, NaN last (sort) or descending, NaN last (sort_desc). */
function sortBy(descending: boolean): InstantFunction {
  return ([v]) =>
    vector(
      [...samplesOf(v)].sort((a, b) => {
        if (Number.isNaN(a.value)) return Number.isNaN(b.value) ? 0 : 1;
        if (Number.isNaN(b.value)) return -1;
        return descending ? b.value - a.value : a.value - b.value;
      }),
    );
}

export const instantFunctions = {
  abs: mapValues(Math.abs),
  ceil: mapValues(Math.ceil),
  floor: mapValues(Math.floor),
  exp: mapValues(Math.exp),
  sqrt: mapValues(Math.sqrt),
  ln: mapValues(Math.log),
  log2: mapValues(goLog2),
  log10: mapValues(goLog10),
  sgn: mapValues((x) => (x > 0 ? 1 : x < 0 ? -1 : x)),
  sin: mapValues(Math.sin),
  cos: mapValues(Math.cos),
  tan: mapValues(Math.tan),
  asin: mapValues(Math.asin),
  acos: mapValues(Math.acos),
  atan: mapValues(Math.atan),
  sinh: mapValues(Math.sinh),
  cosh: mapValues(Math.cosh),
  tanh: mapValues(Math.tanh),
  asinh: mapValues(Math.asinh),
  acosh: mapValues(Math.acosh),
  atanh: mapValues(Math.atanh),
  deg: mapValues((x) => (x * 180) / Math.PI),
  rad: mapValues((x) => (x * Math.PI) / 180),
  pi: () => scalar(Math.PI),
  clamp: ([v, min, max]) => {
    const [lo, hi] = [numberOf(min), numberOf(max)];
    return hi < lo ? vector([]) : mapSamples(v, (x) => Math.max(lo, Math.min(hi, x)));
  },
  clamp_min: ([v, min]) => mapSamples(v, (x) => Math.max(numberOf(min), x)),
  clamp_max: ([v, max]) => mapSamples(v, (x) => Math.min(numberOf(max), x)),
  round: ([v, nearest]) => {
    // Rounding to the inverse of the step, ties up, as Prometheus does for fewer float surprises.
    const inverse = 1 / (nearest ? numberOf(nearest) : 1);
    return mapSamples(v, (x) => Math.floor(x * inverse + 0.5) / inverse);
  },
  time: (_, c) => scalar(c.ts / 1000),
  timestamp: ([v], c) =>
    vector(samplesOf(v).map((s) => ({ labels: dropMetricName(s.labels), value: (s.t ?? c.ts) / 1000 }))),
  minute: dateFunction((d) => d.getUTCMinutes()),
  hour: dateFunction((d) => d.getUTCHours()),
  day_of_week: dateFunction((d) => d.getUTCDay()),
  day_of_month: dateFunction((d) => d.getUTCDate()),
  day_of_year: dateFunction(dayOfYear),
  days_in_month: dateFunction(daysInMonth),
  month: dateFunction((d) => d.getUTCMonth() + 1),
  year: dateFunction((d) => d.getUTCFullYear()),
  vector: ([s]) => vector([{ labels: {}, value: numberOf(s) }]),
  scalar: ([v]) => {
    const samples = samplesOf(v);
    return scalar(samples.length === 1 ? (samples[0] as Sample).value : Number.NaN);
  },
  sort: sortBy(false),
  sort_desc: sortBy(true),
} satisfies Record<string, InstantFunction>;
