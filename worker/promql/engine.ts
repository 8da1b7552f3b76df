/** Instant and range queries: parse, fetch every selector's samples once, then one synchronous stepping loop. */
import type { Expr, VectorSelector } from "./ast.ts";
import { badData } from "./errors.ts";
import { type EvalContext, evaluate } from "./evaluate.ts";
import { matrixData, type QueryData, scalarData, stringData, vectorData } from "./format.ts";
import { compareLabels, labelsKey } from "./labels.ts";
import { defaultOptions, type EngineOptions, QueryBudget } from "./limits.ts";
import { parseExpr } from "./parse.ts";
import type { Querier, SelectHints, SeriesSamples } from "./querier.ts";
import { typeOf } from "./typecheck.ts";
import { SeriesBuilder } from "./values.ts";

interface Selection {
  readonly node: VectorSelector;
  readonly hints: SelectHints;
}

/** Every selector with the sample times it can read when `e` is evaluated at times in [from, to]. */
function selections(
  e: Expr,
  from: number,
  to: number,
  q: { start: number; end: number; step: number; lookback: number },
  func?: string,
): Selection[] {
  const at = (a: VectorSelector["at"], t: number) =>
    a === undefined ? t : a === "start" ? q.start : a === "end" ? q.end : a;
  switch (e.type) {
    case "vectorSelector":
    case "matrixSelector": {
      const vs = e.type === "vectorSelector" ? e : e.vector;
      const range = e.type === "matrixSelector" ? e.range : 0;
      const end = at(vs.at, to) - vs.offset;
      const start = at(vs.at, from) - vs.offset - (range || q.lookback);
      return [{ node: vs, hints: { start, end, step: q.step, range, ...(func && range ? { func } : {}) } }];
    }
    case "subquery":
      return selections(e.expr, at(e.at, from) - e.offset - e.range, at(e.at, to) - e.offset, q);
    case "call":
      return e.args.flatMap((a) => selections(a, from, to, q, e.func));
    case "aggregate":
      return [e.param, e.expr].flatMap((a) => (a ? selections(a, from, to, q) : []));
    case "binary":
      return [...selections(e.lhs, from, to, q), ...selections(e.rhs, from, to, q)];
    case "unary":
    case "paren":
      return selections(e.expr, from, to, q, func);
    default:
      return [];
  }
}

async function prepare(
  querier: Querier,
  text: string,
  start: number,
  end: number,
  step: number,
  options?: EngineOptions,
) {
  const o = { ...defaultOptions, ...options };
  if (text.length > o.maxExpressionLength)
    throw badData(`expression is longer than ${o.maxExpressionLength} characters`, "query");
  const expr = parseExpr(text);
  const wanted = selections(expr, start, end, { start, end, step, lookback: o.lookbackDelta });
  const fetched = await Promise.all(wanted.map((s) => querier.select(s.node.matchers, s.hints)));
  const series = new Map<VectorSelector, readonly SeriesSamples[]>();
  // In label order, as Prometheus's storage returns series: equal values then keep the order Prometheus gives them.
  for (const [i, s] of wanted.entries())
    series.set(
      s.node,
      [...(fetched[i] as SeriesSamples[])].sort((a, b) => compareLabels(a.labels, b.labels)),
    );
  const context: EvalContext = {
    start,
    end,
    lookback: o.lookbackDelta,
    subqueryStep: o.defaultSubqueryStep,
    series,
    budget: new QueryBudget(o),
    subqueryMemo: new Map(),
    ranges: new Map(),
  };
  return { expr, context, options: o };
}

/** Evaluates `expr` at `timeMs`, as Prometheus's /api/v1/query. */
export async function instantQuery(
  q: Querier,
  expr: string,
  timeMs: number,
  opts?: EngineOptions,
): Promise<QueryData> {
  const { expr: ast, context } = await prepare(q, expr, timeMs, timeMs, 0, opts);
  const v = evaluate(ast, timeMs, context);
  switch (v.kind) {
    case "scalar":
      return scalarData(v.value, timeMs);
    case "string":
      return stringData(v.value, timeMs);
    case "vector":
      return vectorData(v.samples, timeMs);
    case "matrix":
      return matrixData(v.series, false);
  }
}

/** Evaluates `expr` at start, start + step, … ≤ end, as Prometheus's /api/v1/query_range (sorted by labels). */
export async function rangeQuery(
  q: Querier,
  expr: string,
  startMs: number,
  endMs: number,
  stepMs: number,
  opts?: EngineOptions,
): Promise<QueryData> {
  const maxSteps = opts?.maxSteps ?? defaultOptions.maxSteps;
  if (endMs < startMs) throw badData("end timestamp must not be before start time", "end");
  if (!(stepMs > 0))
    throw badData(
      "zero or negative query resolution step widths are not accepted. Try a positive integer",
      "step",
    );
  if ((endMs - startMs) / stepMs > maxSteps)
    throw badData(
      `exceeded maximum resolution of ${maxSteps.toLocaleString("en-US")} points per timeseries. Try decreasing the query resolution (?step=XX)`,
    );
  const { expr: ast, context } = await prepare(q, expr, startMs, endMs, stepMs, opts);
  const type = typeOf(ast);
  if (type !== "scalar" && type !== "vector")
    throw badData(
      `invalid expression type "${type === "matrix" ? "range vector" : type}" for range query, must be Scalar or instant Vector`,
    );
  const out = new SeriesBuilder();
  for (let ts = startMs; ts <= endMs; ts += stepMs) {
    context.budget.checkTime();
    const v = evaluate(ast, ts, context);
    const samples =
      v.kind === "scalar" ? [{ labels: {}, value: v.value }] : v.kind === "vector" ? v.samples : [];
    for (const s of samples) out.add(labelsKey(s.labels), s.labels, ts, s.value);
    context.budget.endStep(samples.length);
  }
  return matrixData(out.series(), true);
}
