/** Aggregation operators over one instant vector, grouped `by`/`without`, as Prometheus 2.42 computes them. */
import type { Aggregate, AggregateOp } from "./ast.ts";
import { execution } from "./errors.ts";
import { formatFixed, formatGeneral } from "./format.ts";
import { ByPosition, type Grouping, grouping } from "./labels.ts";
import { quantile } from "./quantile.ts";
import type { LabelSet, PartialSeries } from "./querier.ts";
import type { Floats, Sample } from "./values.ts";

interface Group {
  readonly labels: LabelSet;
  readonly samples: Sample[];
}

const labelNamePattern = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/** NaN sorts after every number, in both directions (topk and bottomk never prefer a NaN). */
const byValue = (descending: boolean) => (a: Sample, b: Sample) => {
  if (Number.isNaN(a.value)) return Number.isNaN(b.value) ? 0 : 1;
  if (Number.isNaN(b.value)) return -1;
  return descending ? b.value - a.value : a.value - b.value;
};

/** What a stable sort by `order` then `slice(0, k)` gives, holding only k samples when k is small. */
function firstK(samples: Sample[], k: number, order: (a: Sample, b: Sample) => number): Sample[] {
  if (k > 64) return samples.sort(order).slice(0, k);
  const kept: Sample[] = [];
  for (const s of samples) {
    const last = kept[kept.length - 1];
    if (kept.length === k && last && !(order(s, last) < 0)) continue;
    // After every kept sample it does not strictly precede, as a stable sort puts equal values.
    let i = kept.length;
    while (i > 0 && order(s, kept[i - 1] as Sample) < 0) i--;
    kept.splice(i, 0, s);
    if (kept.length > k) kept.pop();
  }
  return kept;
}

const lastGroupings = { on: new WeakMap(), ignoring: new WeakMap() } satisfies Record<
  string,
  WeakMap<readonly string[], ByPosition<Grouping>>
>;

function groupsOf(samples: readonly Sample[], names: readonly string[], isWithout: boolean): Group[] {
  const on = !isWithout;
  const memos = on ? lastGroupings.on : lastGroupings.ignoring;
  let memo = memos.get(names);
  if (!memo) {
    memo = new ByPosition((labels) => grouping(labels, names, on));
    memos.set(names, memo);
  }
  const groups = new Map<string, Group>();
  for (let i = 0; i < samples.length; i++) {
    const s = samples[i] as Sample;
    const { key, labels } = memo.get(i, s.labels);
    let g = groups.get(key);
    if (!g) {
      g = { labels, samples: [] };
      groups.set(key, g);
    }
    g.samples.push(s);
  }
  return [...groups.values()];
}

/** Running mean that survives infinities, as Prometheus's avg. */
function mean(values: Floats): number {
  let m = values[0] as number;
  for (let i = 1; i < values.length; i++) {
    const x = values[i] as number;
    const count = i + 1;
    if (!Number.isFinite(m) && !Number.isNaN(m)) {
      if (!Number.isFinite(x) && !Number.isNaN(x) && m > 0 === x > 0) continue;
      if (Number.isFinite(x)) continue;
    }
    m += x / count - m / count;
  }
  return m;
}

function variance(values: Floats): number {
  let m = values[0] as number;
  let aux = 0;
  for (let i = 1; i < values.length; i++) {
    const x = values[i] as number;
    const delta = x - m;
    m += delta / (i + 1);
    aux += delta * (x - m);
  }
  return aux / values.length;
}

const reducers: Record<string, (values: number[], q: number) => number> = {
  sum: (v) => v.reduce((a, b) => a + b),
  avg: mean,
  count: (v) => v.length,
  group: () => 1,
  max: (v) => v.reduce((best, x) => (best < x || Number.isNaN(best) ? x : best)),
  min: (v) => v.reduce((best, x) => (best > x || Number.isNaN(best) ? x : best)),
  stddev: (v) => Math.sqrt(variance(v)),
  stdvar: variance,
  quantile: (v, q) => quantile(q, v),
};

/** The aggregations `fold` computes one value at a time. */
export const FOLDED_OPS: ReadonlySet<AggregateOp> = new Set(["sum", "count", "min", "max", "group"]);

/** Folds one series' value into its group at step k, as the reducers of `aggregate` fold a group's values. */
export function fold(op: AggregateOp, group: PartialSeries, k: number, x: number): void {
  const values = group.values;
  if (!group.present[k]) {
    group.present[k] = 1;
    values[k] = op === "count" || op === "group" ? 1 : x;
    return;
  }
  const best = values[k] as number;
  if (op === "sum") values[k] = best + x;
  else if (op === "count") values[k] = best + 1;
  else if (op === "max" && (best < x || Number.isNaN(best))) values[k] = x;
  else if (op === "min" && (best > x || Number.isNaN(best))) values[k] = x;
}

/** Evaluates an aggregation of `samples`; `param` is k, φ or count_values's label name. */
export function aggregate(
  node: Aggregate,
  samples: readonly Sample[],
  param: number | string | undefined,
): Sample[] {
  const { op, grouping } = node;
  if (op === "topk" || op === "bottomk") {
    const k = Math.trunc(param as number);
    if (!Number.isFinite(k) || Math.abs(k) > 2 ** 63)
      throw execution(`Scalar value ${formatGeneral(param as number)} overflows int64`);
    if (k < 1) return [];
    const order = byValue(op === "topk");
    return groupsOf(samples, grouping, node.without).flatMap((g) => firstK(g.samples, k, order));
  }
  if (op === "count_values") {
    const label = param as string;
    if (!labelNamePattern.test(label)) throw execution(`invalid label name ${JSON.stringify(label)}`);
    const labelled = samples.map((s) => ({
      labels: { ...s.labels, [label]: formatFixed(s.value) },
      value: s.value,
    }));
    const names = node.without ? grouping : [...grouping, label];
    return groupsOf(labelled, names, node.without).map((g) => ({
      labels: g.labels,
      value: g.samples.length,
    }));
  }
  const reduce = reducers[op] as (values: number[], q: number) => number;
  return groupsOf(samples, grouping, node.without).map((g) => ({
    labels: g.labels,
    value: reduce(
      g.samples.map((s) => s.value),
      param as number,
    ),
  }));
}
