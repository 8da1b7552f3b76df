/**
 * A store's fast path for a pushed-down `sum`, `count`, `min`, `max` or `group` of a range function over a range
 * selector: series after series, each swept once over every step, its value folded into its group's columns.
 * Series come in label order, so each group adds the same values in the same order as step-by-step evaluation
 * (`aggregate`) does: the result is bit for bit the same, without a sample object per series and step.
 */
import { FOLDED_OPS, fold } from "./aggregations.ts";
import type { Aggregate, Call, MatrixSelector } from "./ast.ts";
import { unwrapParens } from "./ast.ts";
import { type EvalContext, resolveAt } from "./evaluate.ts";
import { type FunctionDef, functions } from "./functions.ts";
import { dropMetricName, grouping } from "./labels.ts";
import { stepCount } from "./pushdown.ts";
import type { PartialSeries, Steps } from "./querier.ts";
import { RangeReader } from "./selectors.ts";

type WindowDef = Extract<FunctionDef, { kind: "window" }>;

interface Shape {
  readonly fn: WindowDef;
  readonly matrix: MatrixSelector;
  readonly params: readonly number[];
}

/** The function, range selector and literal parameters of `part` when it takes the fast path. */
function shapeOf(part: Aggregate): Shape | undefined {
  const call = unwrapParens(part.expr);
  if (!FOLDED_OPS.has(part.op) || call.type !== "call") return undefined;
  const fn = functions[call.func];
  if (fn?.kind !== "window") return undefined;
  const args = (call as Call).args.map(unwrapParens);
  const matrix = args.find((a) => a.type === "matrixSelector");
  if (!matrix || args.some((a) => a !== matrix && a.type !== "number")) return undefined;
  const params = args.flatMap((a) => (a.type === "number" ? [a.value] : []));
  return { fn, matrix, params };
}

/** `part`'s partial groups at every step, or undefined when it does not take the fast path. */
export function seriesMajorPartials(
  part: Aggregate,
  steps: Steps,
  c: EvalContext,
): PartialSeries[] | undefined {
  const shape = shapeOf(part);
  if (!shape) return undefined;
  const { fn, matrix, params } = shape;
  const { at, offset } = matrix.vector;
  const n = stepCount(steps);
  const groups = new Map<string, PartialSeries>();
  for (const s of c.series.get(matrix.vector) ?? []) {
    c.budget.checkTime();
    const { key, labels } = grouping(
      fn.keepMetricName ? s.labels : dropMetricName(s.labels),
      part.grouping,
      !part.without,
    );
    let group = groups.get(key);
    if (!group) {
      group = { labels, values: new Float64Array(n), present: new Uint8Array(n) };
      groups.set(key, group);
    }
    const reader = new RangeReader([s]);
    // One context moved along the steps: a window function reads it and keeps nothing of it.
    const context = { ts: 0, rangeStart: 0, rangeEnd: 0, params };
    for (let k = 0; k < n; k++) {
      context.ts = steps.start + k * steps.step;
      context.rangeEnd = resolveAt(at, context.ts, c) - offset;
      context.rangeStart = context.rangeEnd - matrix.range;
      const window = reader.window(0, context.rangeStart, context.rangeEnd);
      if (!window) continue;
      const x = fn.impl(window, context);
      if (x !== undefined) fold(part.op, group, k, x);
    }
  }
  // A group none of whose series had a value at any step is no group (the step-by-step path never sees it).
  return [...groups.values()].filter((g) => g.present.includes(1));
}
