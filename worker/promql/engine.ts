/** Instant and range queries: parse, fetch every selector's samples once, then one synchronous stepping loop. */
import type { Aggregate, Expr, VectorSelector } from "./ast.ts";
import { badData } from "./errors.ts";
import { type EvalContext, evaluate } from "./evaluate.ts";
import { matrixData, type QueryData, scalarData, stringData, vectorData } from "./format.ts";
import { samplesOf } from "./instant-functions.ts";
import { compareLabels, labelsKey } from "./labels.ts";
import { defaultOptions, type EngineOptions, QueryBudget } from "./limits.ts";
import { parseExpr } from "./parse.ts";
import { mergePartials, partialParts, pushableAggregates, stepCount } from "./pushdown.ts";
import type { PartialSeries, Querier, SelectHints, SeriesSamples, Steps } from "./querier.ts";
import { seriesMajorPartials } from "./series-major.ts";
import { typeOf } from "./typecheck.ts";
import { SeriesBuilder } from "./values.ts";

interface Selection {
  readonly node: VectorSelector;
  readonly hints: SelectHints;
}

/**
 * Every selector with the sample times it can read when `e` is evaluated at times in [from, to]; none under an
 * aggregation the stores evaluate (`pushed`).
 */
function selections(
  e: Expr,
  from: number,
  to: number,
  q: { start: number; end: number; step: number; lookback: number; pushed: ReadonlySet<Aggregate> },
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
      if (q.pushed.has(e)) return [];
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

/**
 * Fetches what `expr` reads when evaluated at `steps`: the samples of its selectors and, when the querier can
 * aggregate where the series are (`Querier.aggregate`), the merged partials of its pushable aggregations.
 */
async function prepareAst(
  querier: Querier,
  exprs: readonly Expr[],
  steps: Steps,
  o: typeof defaultOptions,
  pushdown = true,
): Promise<EvalContext> {
  const { start, end, step } = steps;
  const aggregateOnStores = pushdown ? querier.aggregate?.bind(querier) : undefined;
  const pushed = aggregateOnStores ? exprs.flatMap(pushableAggregates) : [];
  const q = { start, end, step, lookback: o.lookbackDelta, pushed: new Set(pushed) };
  // A selector shared by two expressions (avg's sum and count) is fetched once.
  const wanted = [
    ...new Map(exprs.flatMap((e) => selections(e, start, end, q)).map((s) => [s.node, s])).values(),
  ];
  const [fetched, partials] = await Promise.all([
    Promise.all(wanted.map((s) => querier.select(s.node.matchers, s.hints))),
    Promise.all(pushed.map((node) => aggregateOnStores!(partialParts(node), steps))),
  ]);
  const series = new Map<VectorSelector, readonly SeriesSamples[]>();
  // In label order, as Prometheus's storage returns series: equal values then keep the order Prometheus gives them.
  for (const [i, s] of wanted.entries())
    series.set(
      s.node,
      [...(fetched[i] as SeriesSamples[])].sort((a, b) => compareLabels(a.labels, b.labels)),
    );
  return {
    start,
    end,
    lookback: o.lookbackDelta,
    subqueryStep: o.defaultSubqueryStep,
    series,
    pushed: new Map(pushed.map((node, i) => [node, mergePartials(node, partials[i]!, steps)])),
    budget: new QueryBudget(o),
    subqueryMemo: new Map(),
    ranges: new Map(),
  };
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
  return { expr, context: await prepareAst(querier, [expr], { start, end, step }, o), options: o };
}

/**
 * A store's side of `Querier.aggregate`: each of `parts` evaluated at every step over the series `querier` holds,
 * as partial series (see `pushdown.ts`).
 */
export async function partialAggregates(
  querier: Querier,
  parts: readonly Aggregate[],
  steps: Steps,
  options?: EngineOptions,
): Promise<PartialSeries[][]> {
  const o = { ...defaultOptions, ...options };
  const context = await prepareAst(querier, parts, steps, o, false);
  const n = stepCount(steps);
  return parts.map((part) => {
    const fast = seriesMajorPartials(part, steps, context);
    if (fast) return fast;
    const groups = new Map<string, PartialSeries>();
    for (let k = 0; k < n; k++) {
      context.budget.checkTime();
      context.budget.endStep(0);
      for (const s of samplesOf(evaluate(part, steps.start + k * steps.step, context))) {
        const key = labelsKey(s.labels);
        let g = groups.get(key);
        if (!g) {
          g = { labels: s.labels, values: new Float64Array(n), present: new Uint8Array(n) };
          groups.set(key, g);
        }
        g.values[k] = s.value;
        g.present[k] = 1;
      }
    }
    return [...groups.values()];
  });
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
  const steps = stepCount({ start: startMs, end: endMs, step: stepMs });
  for (let k = 0; k < steps; k++) {
    const ts = startMs + k * stepMs;
    context.budget.checkTime();
    const v = evaluate(ast, ts, context);
    const samples =
      v.kind === "scalar" ? [{ labels: {}, value: v.value }] : v.kind === "vector" ? v.samples : [];
    for (const s of samples) out.add(labelsKey(s.labels), s.labels, ts, s.value);
    context.budget.endStep(samples.length);
  }
  return matrixData(out.series(), true);
}
