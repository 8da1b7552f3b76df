/** Prometheus's JSON result shapes and number formatting, from the evaluator's values. */
import { compareLabels } from "./labels.ts";
import type { LabelSet } from "./querier.ts";
import type { RangeSeries, Sample } from "./values.ts";

/** [time in seconds, value as Prometheus formats it]. */
export type SamplePair = [number, string];
export interface VectorItem {
  metric: Record<string, string>;
  value: SamplePair;
}
export interface MatrixItem {
  metric: Record<string, string>;
  values: SamplePair[];
}
/** Exactly the `data` object of Prometheus's query API responses. */
export type QueryData =
  | { resultType: "vector"; result: VectorItem[] }
  | { resultType: "matrix"; result: MatrixItem[] }
  | { resultType: "scalar"; result: SamplePair }
  | { resultType: "string"; result: [number, string] };

/** Go's strconv.FormatFloat(v, 'f', -1, 64): the shortest round-trip digits, never an exponent. */
export function formatFixed(v: number): string {
  if (Number.isNaN(v)) return "NaN";
  if (!Number.isFinite(v)) return v > 0 ? "+Inf" : "-Inf";
  if (Object.is(v, -0)) return "-0";
  // Between 1e-6 and 1e21 JavaScript writes the same shortest digits without an exponent.
  const abs = Math.abs(v);
  if (abs >= 1e-6 && abs < 1e21) return String(v);
  const [mantissa, exponentText] = v.toExponential().split("e") as [string, string];
  const negative = mantissa.startsWith("-");
  const digits = mantissa.replace(/^-/, "").replace(".", "");
  const exponent = Number(exponentText);
  let out: string;
  if (exponent < 0) out = `0.${"0".repeat(-exponent - 1)}${digits}`;
  else if (digits.length <= exponent + 1) out = digits + "0".repeat(exponent + 1 - digits.length);
  else out = `${digits.slice(0, exponent + 1)}.${digits.slice(exponent + 1)}`;
  return negative ? `-${out}` : out;
}

/** Go's exponent style: at least two exponent digits (1e-07, 1e+300). */
export const goExponent = (v: number): string => v.toExponential().replace(/e([+-])(\d)$/, "e$10$2");

/** Go's %v of a float64 (strconv 'g', shortest digits): an exponent below 1e-4 and from 1e6 on. */
export function formatGeneral(v: number): string {
  if (!Number.isFinite(v) || v === 0) return formatFixed(v);
  const exponent = Number(v.toExponential().split("e")[1]);
  return exponent < -4 || exponent >= 6 ? goExponent(v) : formatFixed(v);
}

/** A sample value as Prometheus's API writes it: 'f' format, or 'e' below 1e-6 and from 1e21 (Go's exponent style). */
export function formatValue(v: number): string {
  const abs = Math.abs(v);
  if (abs !== 0 && Number.isFinite(abs) && (abs < 1e-6 || abs >= 1e21)) {
    return goExponent(v);
  }
  return formatFixed(v);
}

const seconds = (ms: number): number => ms / 1000;

/** Labels with sorted keys, as Prometheus writes them. */
export function metricJSON(labels: LabelSet): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k of Object.keys(labels).sort()) out[k] = labels[k] as string;
  return out;
}

export const vectorData = (samples: readonly Sample[], ts: number): QueryData => ({
  resultType: "vector",
  result: samples.map((s) => ({ metric: metricJSON(s.labels), value: [seconds(ts), formatValue(s.value)] })),
});

/** A matrix, sorted by labels as Prometheus sorts range query results. */
export function matrixData(series: readonly RangeSeries[], sort: boolean): QueryData {
  const ordered = sort ? [...series].sort((a, b) => compareLabels(a.labels, b.labels)) : series;
  return {
    resultType: "matrix",
    result: ordered.map((s) => ({
      metric: metricJSON(s.labels),
      values: Array.from(s.t, (t, i): SamplePair => [seconds(t), formatValue(s.v[i] as number)]),
    })),
  };
}

export const scalarData = (value: number, ts: number): QueryData => ({
  resultType: "scalar",
  result: [seconds(ts), formatValue(value)],
});

export const stringData = (value: string, ts: number): QueryData => ({
  resultType: "string",
  result: [seconds(ts), value],
});
