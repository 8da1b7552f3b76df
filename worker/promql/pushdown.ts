/**
 * Partial aggregation where the series are stored. An aggregation whose argument reads each series on its own
 * (`sum by (job) (rate(x[5m]))`) can run in every store over its own series; the engine then merges the partial
 * groups, so only one value per group and step travels instead of every sample. Exact for `min`, `max`, `group`,
 * `count`, `topk` and `bottomk`; `sum` and `avg` (as sum and count) add the same values in another order, so they
 * may differ from one evaluation over all series in the last bits of a float.
 */
import { aggregate, FOLDED_OPS, fold } from "./aggregations.ts";
import type { Aggregate, AggregateOp, Expr } from "./ast.ts";
import { unwrapParens } from "./ast.ts";
import { functions } from "./functions.ts";
import { compareLabels, grouping, labelsKey, METRIC_NAME } from "./labels.ts";
import type { PartialSeries, Steps } from "./querier.ts";
import type { Sample } from "./values.ts";

const MERGEABLE = new Set<AggregateOp>(["sum", "avg", "count", "min", "max", "group", "topk", "bottomk"]);

/** An instant or range selector of one metric name: its series keep distinct labels once a function drops the name. */
function selectorOfOneMetric(e: Expr): boolean {
  const vs = e.type === "matrixSelector" ? e.vector : e.type === "vectorSelector" ? e : undefined;
  return vs?.matchers.some((m) => m.name === METRIC_NAME && m.type === "=") ?? false;
}

/** Whether `e` is a selector, or a range function of one metric's range selector with literal parameters. */
function readsEachSeriesAlone(e: Expr): boolean {
  const m = unwrapParens(e);
  if (m.type === "vectorSelector") return true;
  if (m.type !== "call" || functions[m.func]?.kind !== "window") return false;
  return m.args.every((a) => {
    const arg = unwrapParens(a);
    return arg.type === "number" || (arg.type === "matrixSelector" && selectorOfOneMetric(arg));
  });
}

function pushable(e: Aggregate): boolean {
  if (!MERGEABLE.has(e.op) || !readsEachSeriesAlone(e.expr)) return false;
  return e.param === undefined || unwrapParens(e.param).type === "number";
}

/**
 * The aggregations of `e` the stores can evaluate, outermost first, none inside another or a subquery (a subquery
 * evaluates at its own steps, not the query's).
 */
export function pushableAggregates(e: Expr): Aggregate[] {
  switch (e.type) {
    case "aggregate":
      return pushable(e) ? [e] : [e.param, e.expr].flatMap((a) => (a ? pushableAggregates(a) : []));
    case "call":
      return e.args.flatMap(pushableAggregates);
    case "binary":
      return [...pushableAggregates(e.lhs), ...pushableAggregates(e.rhs)];
    case "unary":
    case "paren":
      return pushableAggregates(e.expr);
    default:
      return [];
  }
}

/** What each store evaluates for `e`: the aggregation itself, or for `avg` its sum and its count. */
export function partialParts(e: Aggregate): Aggregate[] {
  return e.op === "avg"
    ? [
        { ...e, op: "sum" },
        { ...e, op: "count" },
      ]
    : [e];
}

/** How partials combine: counts (and avg's sums and counts) add up; the others aggregate again as they were. */
function mergeNode(e: Aggregate): Aggregate {
  return e.op === "count" || e.op === "avg" ? { ...e, op: "sum" } : e;
}

/**
 * The merged groups at every step, folded column by column from partials sorted by labels. A group's partials have
 * its labels, so they sit together in that order and fold in the order `aggregate` folds them step by step.
 */
function foldedColumns(merge: Aggregate, sorted: readonly PartialSeries[], n: number): PartialSeries[] {
  const groups = new Map<string, PartialSeries>();
  for (const s of sorted) {
    const { key, labels } = grouping(s.labels, merge.grouping, !merge.without);
    let group = groups.get(key);
    if (!group) {
      group = { labels, values: new Float64Array(n), present: new Uint8Array(n) };
      groups.set(key, group);
    }
    for (let k = 0; k < n; k++) if (s.present[k]) fold(merge.op, group, k, s.values[k] as number);
  }
  return [...groups.values()];
}

/** The partial samples at step k, from series sorted by labels (topk and bottomk break ties in that order). */
function samplesAt(series: readonly PartialSeries[], k: number): Sample[] {
  const out: Sample[] = [];
  for (const s of series) if (s.present[k]) out.push({ labels: s.labels, value: s.values[k] as number });
  return out;
}

export function stepCount({ start, end, step }: Steps): number {
  return step > 0 ? Math.floor((end - start) / step) + 1 : 1;
}

/** The merged aggregation at every step, by the step's time, from each part's partial series of every store. */
export function mergePartials(
  e: Aggregate,
  parts: readonly PartialSeries[][],
  steps: Steps,
): Map<number, Sample[]> {
  const sorted = parts.map((series) => [...series].sort((a, b) => compareLabels(a.labels, b.labels)));
  const literal = e.param && unwrapParens(e.param);
  const param = literal?.type === "number" ? literal.value : undefined;
  const merge = mergeNode(e);
  const byTime = new Map<number, Sample[]>();
  // Folded merges go column by column (count's partials add up as sums, see `mergeNode`).
  if (FOLDED_OPS.has(e.op)) {
    const n = stepCount(steps);
    const merged = foldedColumns(merge, sorted[0] ?? [], n);
    for (let k = 0; k < n; k++) byTime.set(steps.start + k * steps.step, samplesAt(merged, k));
    return byTime;
  }
  for (let k = 0; k < stepCount(steps); k++) {
    const t = steps.start + k * steps.step;
    if (e.op !== "avg") {
      byTime.set(t, aggregate(merge, samplesAt(sorted[0] ?? [], k), param));
      continue;
    }
    const sums = aggregate(merge, samplesAt(sorted[0] ?? [], k), undefined);
    const counts = new Map(
      aggregate(merge, samplesAt(sorted[1] ?? [], k), undefined).map((s) => [labelsKey(s.labels), s.value]),
    );
    byTime.set(
      t,
      sums.map((s) => ({ labels: s.labels, value: s.value / (counts.get(labelsKey(s.labels)) as number) })),
    );
  }
  return byTime;
}
