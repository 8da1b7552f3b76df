/** Evaluation of a checked AST at one time, over samples fetched up front (no I/O here). */

import { aggregate } from "./aggregations.ts";
import type { Aggregate, AtModifier, Call, Expr, MatrixSelector, Subquery, VectorSelector } from "./ast.ts";
import { isSetOp, unwrapParens } from "./ast.ts";
import { scalarBinary, setBinary, vectorBinary, vectorScalarBinary } from "./binary.ts";
import { execution } from "./errors.ts";
import { functions } from "./functions.ts";
import { numberOf, samplesOf } from "./instant-functions.ts";
import { absentLabels } from "./label-functions.ts";
import { ByPosition, dropMetricName, labelsKey, METRIC_NAME } from "./labels.ts";
import type { QueryBudget } from "./limits.ts";
import type { LabelSet, SeriesSamples } from "./querier.ts";
import { RangeReader, sampleAt } from "./selectors.ts";
import type { Sample, Value, WindowSeries } from "./values.ts";
import { SeriesBuilder, scalar, vector } from "./values.ts";

export interface EvalContext {
  /** The query's start and end, for `@ start()` and `@ end()`. */
  readonly start: number;
  readonly end: number;
  readonly lookback: number;
  readonly subqueryStep: number;
  readonly series: ReadonlyMap<VectorSelector, readonly SeriesSamples[]>;
  /** Aggregations the stores evaluated (see `pushdown.ts`): their merged samples by step time. */
  readonly pushed: ReadonlyMap<Aggregate, ReadonlyMap<number, readonly Sample[]>>;
  readonly budget: QueryBudget;
  /** A subquery's inner results by time, shared by the steps whose windows overlap. */
  readonly subqueryMemo: Map<Subquery, Map<number, Value>>;
  /** Each range selector's series, read step after step. */
  readonly ranges: Map<VectorSelector, RangeReader>;
}

export function resolveAt(at: AtModifier | undefined, ts: number, c: EvalContext): number {
  return at === undefined ? ts : at === "start" ? c.start : at === "end" ? c.end : at;
}

/** Series of one metric name stay distinct once the name is dropped: no need to look for duplicates. */
function ofOneMetric(e: Expr | undefined): boolean {
  const m = e && unwrapParens(e);
  return (
    m?.type === "matrixSelector" && m.vector.matchers.some((x) => x.name === METRIC_NAME && x.type === "=")
  );
}

function checkUnique(samples: readonly Sample[]): readonly Sample[] {
  const seen = new Set<string>();
  for (const s of samples) {
    const key = labelsKey(s.labels);
    if (seen.has(key)) throw execution("vector cannot contain metrics with the same labelset");
    seen.add(key);
  }
  return samples;
}

function selectVector(e: VectorSelector, ts: number, c: EvalContext): Sample[] {
  const ref = resolveAt(e.at, ts, c) - e.offset;
  const out: Sample[] = [];
  for (const s of c.series.get(e) ?? []) {
    const i = sampleAt(s, ref, c.lookback);
    if (i >= 0) out.push({ labels: s.labels, value: s.values[i] as number, t: s.timestamps[i] as number });
  }
  c.budget.take(out.length);
  return out;
}

interface Window {
  readonly series: readonly WindowSeries[];
  readonly rangeStart: number;
  readonly rangeEnd: number;
}

function selectRange(e: MatrixSelector, ts: number, c: EvalContext): Window {
  const rangeEnd = resolveAt(e.vector.at, ts, c) - e.vector.offset;
  const rangeStart = rangeEnd - e.range;
  let reader = c.ranges.get(e.vector);
  if (!reader) {
    reader = new RangeReader(c.series.get(e.vector) ?? []);
    c.ranges.set(e.vector, reader);
  }
  const series = reader.windows(rangeStart, rangeEnd);
  let points = 0;
  for (const s of series) points += s.to - s.from;
  c.budget.take(points);
  return { series, rangeStart, rangeEnd };
}

function evaluateSubquery(e: Subquery, ts: number, c: EvalContext): Window {
  const rangeEnd = resolveAt(e.at, ts, c) - e.offset;
  const rangeStart = rangeEnd - e.range;
  const step = e.step || c.subqueryStep;
  let memo = c.subqueryMemo.get(e);
  if (!memo) {
    memo = new Map();
    c.subqueryMemo.set(e, memo);
  }
  const builder = new SeriesBuilder();
  // Inner steps are aligned to multiples of the step, as Prometheus aligns them.
  for (let t = Math.ceil(rangeStart / step) * step; t <= rangeEnd; t += step) {
    let inner = memo.get(t);
    if (!inner) {
      c.budget.checkTime();
      inner = evaluate(e.expr, t, c);
      memo.set(t, inner);
    }
    for (const s of samplesOf(inner)) builder.add(labelsKey(s.labels), s.labels, t, s.value);
  }
  c.budget.take(builder.points);
  const series = builder.series().map((s) => ({ ...s, from: 0, to: s.t.length }));
  return { series, rangeStart, rangeEnd };
}

function evaluateWindow(e: Expr, ts: number, c: EvalContext): Window {
  const m = unwrapParens(e);
  if (m.type === "matrixSelector") return selectRange(m, ts, c);
  if (m.type === "subquery") return evaluateSubquery(m, ts, c);
  throw execution(`expected a range vector, got ${m.type}`);
}

const namesDropped = new WeakMap<Call, ByPosition<LabelSet>>();

function evaluateCall(e: Call, ts: number, c: EvalContext): Value {
  const fn = functions[e.func];
  if (!fn) throw execution(`unknown function ${e.func}`);
  if (fn.kind === "instant") {
    const args = e.args.map((a) => evaluate(a, ts, c));
    // Only a selector given directly keeps its samples' own times for timestamp().
    const arg = e.args[0];
    if (e.func === "timestamp" && arg && unwrapParens(arg).type !== "vectorSelector")
      args[0] = vector(samplesOf(args[0]).map((s) => ({ labels: s.labels, value: s.value })));
    const out = fn.impl(args, { ts, argExprs: e.args });
    return out.kind === "vector" ? vector(checkUnique(out.samples)) : out;
  }
  const matrixIndex = fn.args.indexOf("matrix");
  const window = evaluateWindow(e.args[matrixIndex] as Expr, ts, c);
  if (fn.kind === "absence")
    return vector(window.series.length > 0 ? [] : [{ labels: absentLabels(e.args[matrixIndex]), value: 1 }]);
  const params = e.args.filter((_, i) => i !== matrixIndex).map((a) => numberOf(evaluate(a, ts, c)));
  const out: Sample[] = [];
  const context = { ts, rangeStart: window.rangeStart, rangeEnd: window.rangeEnd, params };
  let outLabels = namesDropped.get(e);
  if (!outLabels) {
    outLabels = new ByPosition(dropMetricName);
    namesDropped.set(e, outLabels);
  }
  for (let i = 0; i < window.series.length; i++) {
    const s = window.series[i] as WindowSeries;
    const value = fn.impl(s, context);
    if (value !== undefined)
      out.push({ labels: fn.keepMetricName ? s.labels : outLabels.get(i, s.labels), value });
  }
  return vector(ofOneMetric(e.args[matrixIndex]) ? out : checkUnique(out));
}

function evaluateBinary(e: Extract<Expr, { type: "binary" }>, ts: number, c: EvalContext): Value {
  const l = evaluate(e.lhs, ts, c);
  const r = evaluate(e.rhs, ts, c);
  if (l.kind === "scalar" && r.kind === "scalar") return scalar(scalarBinary(e.op, l.value, r.value));
  if (l.kind === "vector" && r.kind === "scalar")
    return vector(checkUnique(vectorScalarBinary(e.op, l.samples, r.value, false, e.bool)));
  if (l.kind === "scalar" && r.kind === "vector")
    return vector(checkUnique(vectorScalarBinary(e.op, r.samples, l.value, true, e.bool)));
  if (l.kind !== "vector" || r.kind !== "vector" || !e.matching)
    throw execution("binary expression over unexpected types");
  if (isSetOp(e.op)) return vector(setBinary(e.op, l.samples, r.samples, e.matching));
  return vector(vectorBinary(e.op, l.samples, r.samples, e.matching, e.bool));
}

/** The value of `e` at time `ts` (ms). */
export function evaluate(e: Expr, ts: number, c: EvalContext): Value {
  switch (e.type) {
    case "number":
      return scalar(e.value);
    case "string":
      return { kind: "string", value: e.value };
    case "paren":
      return evaluate(e.expr, ts, c);
    case "vectorSelector":
      return vector(selectVector(e, ts, c));
    case "matrixSelector":
    case "subquery":
      return {
        kind: "matrix",
        series: evaluateWindow(e, ts, c).series.map((s) => ({
          labels: s.labels,
          t: s.t.slice(s.from, s.to),
          v: s.v.slice(s.from, s.to),
        })),
      };
    case "call":
      return evaluateCall(e, ts, c);
    case "aggregate": {
      const merged = c.pushed.get(e);
      if (merged) {
        const samples = merged.get(ts) ?? [];
        c.budget.take(samples.length);
        return vector(samples);
      }
      const param = e.param ? evaluate(e.param, ts, c) : undefined;
      const paramValue = param?.kind === "string" ? param.value : param ? numberOf(param) : undefined;
      return vector(aggregate(e, samplesOf(evaluate(e.expr, ts, c)), paramValue));
    }
    case "binary":
      return evaluateBinary(e, ts, c);
    case "unary": {
      const v = evaluate(e.expr, ts, c);
      if (e.op === "+") return v;
      if (v.kind === "scalar") return scalar(-v.value);
      return vector(
        checkUnique(samplesOf(v).map((s) => ({ labels: dropMetricName(s.labels), value: -s.value }))),
      );
    }
  }
}
