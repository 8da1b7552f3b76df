/** Binary operators: scalar/scalar, vector/scalar and vector/vector with matching, as Prometheus 2.42. */
import type { BinaryOp, VectorMatching } from "./ast.ts";
import { isComparison } from "./ast.ts";
import { execution } from "./errors.ts";
import {
  dropMetricName,
  formatLabels,
  groupingKey,
  keepOnly,
  labelsKey,
  METRIC_NAME,
  without,
} from "./labels.ts";
import type { LabelSet } from "./querier.ts";
import type { Sample } from "./values.ts";

/** Go's math.Pow where it differs from `**`: 1^y is 1 for any y, (-1)^±Inf is 1. */
function pow(x: number, y: number): number {
  if (x === 1 || (x === -1 && !Number.isFinite(y) && !Number.isNaN(y))) return 1;
  return x ** y;
}

const arithmetic: Readonly<Record<string, (a: number, b: number) => number>> = {
  "+": (a, b) => a + b,
  "-": (a, b) => a - b,
  "*": (a, b) => a * b,
  "/": (a, b) => a / b,
  "%": (a, b) => a % b,
  "^": pow,
  atan2: Math.atan2,
};

const comparisons: Readonly<Record<string, (a: number, b: number) => boolean>> = {
  "==": (a, b) => a === b,
  "!=": (a, b) => a !== b,
  ">": (a, b) => a > b,
  "<": (a, b) => a < b,
  ">=": (a, b) => a >= b,
  "<=": (a, b) => a <= b,
};

/** [value, keep]: arithmetic always keeps; a comparison keeps the left value when it holds. */
function elementOp(op: BinaryOp, lhs: number, rhs: number): [number, boolean] {
  const compare = comparisons[op];
  if (compare) return [lhs, compare(lhs, rhs)];
  return [(arithmetic[op] as (a: number, b: number) => number)(lhs, rhs), true];
}

/** The arithmetic operators drop the metric name; comparisons keep it unless `bool`. atan2 keeps it, as in 2.42. */
const dropsName = (op: BinaryOp): boolean => ["+", "-", "*", "/", "%", "^"].includes(op);

export function scalarBinary(op: BinaryOp, lhs: number, rhs: number): number {
  const [value, keep] = elementOp(op, lhs, rhs);
  return isComparison(op) ? (keep ? 1 : 0) : value;
}

export function vectorScalarBinary(
  op: BinaryOp,
  samples: readonly Sample[],
  scalar: number,
  scalarOnLeft: boolean,
  bool: boolean,
): Sample[] {
  const out: Sample[] = [];
  for (const s of samples) {
    const [l, r] = scalarOnLeft ? [scalar, s.value] : [s.value, scalar];
    let [value, keep] = elementOp(op, l, r);
    // A comparison filters the vector and keeps the vector's value, on whichever side it is.
    if (isComparison(op) && scalarOnLeft) value = r;
    if (bool) [value, keep] = [keep ? 1 : 0, true];
    if (keep) out.push({ labels: dropsName(op) || bool ? dropMetricName(s.labels) : s.labels, value });
  }
  return out;
}

const signature = (labels: LabelSet, m: VectorMatching): string => groupingKey(labels, m.labels, m.on);

// A series' label set is one object through every step of a query: its matched labels are derived once.
const matchedByMatching = new WeakMap<VectorMatching, WeakMap<LabelSet, LabelSet>>();

/** A one-to-one match's labels: only the `on` labels, or all but the `ignoring` ones. */
function matchedLabels(labels: LabelSet, m: VectorMatching): LabelSet {
  let byLabels = matchedByMatching.get(m);
  if (!byLabels) {
    byLabels = new WeakMap();
    matchedByMatching.set(m, byLabels);
  }
  let matched = byLabels.get(labels);
  if (!matched) {
    matched = m.on ? keepOnly(labels, m.labels) : without(labels, m.labels);
    byLabels.set(labels, matched);
  }
  return matched;
}

function resultLabels(
  many: LabelSet,
  one: LabelSet,
  op: BinaryOp,
  m: VectorMatching,
  bool: boolean,
): LabelSet {
  let labels = dropsName(op) || bool ? dropMetricName(many) : many;
  if (m.card === "one-to-one") labels = matchedLabels(labels, m);
  if (m.include.length > 0) {
    const out: Record<string, string> = { ...labels };
    for (const name of m.include) {
      const v = one[name];
      if (v) out[name] = v;
      else delete out[name];
    }
    labels = out;
  }
  return labels;
}

const matchGroup = (labels: LabelSet, m: VectorMatching): string =>
  formatLabels(m.on ? keepOnly(labels, m.labels) : without(labels, [...m.labels, METRIC_NAME]));

/** Arithmetic and comparison between two vectors: one-to-one, or many-to-one with group_left/group_right. */
export function vectorBinary(
  op: BinaryOp,
  lhs: readonly Sample[],
  rhs: readonly Sample[],
  m: VectorMatching,
  bool: boolean,
): Sample[] {
  if (lhs.length === 0 || rhs.length === 0) return [];
  const swapped = m.card === "one-to-many";
  const [many, one] = swapped ? [rhs, lhs] : [lhs, rhs];
  const oneBySig = new Map<string, Sample>();
  for (const s of one) {
    const sig = signature(s.labels, m);
    const duplicate = oneBySig.get(sig);
    if (duplicate)
      throw execution(
        `found duplicate series for the match group ${matchGroup(s.labels, m)} on the ${swapped ? "left" : "right"} hand-side of the operation: [${formatLabels(s.labels)}, ${formatLabels(duplicate.labels)}];many-to-many matching not allowed: matching labels must be unique on one side`,
      );
    oneBySig.set(sig, s);
  }
  const matched = new Map<string, Set<string>>();
  const out: Sample[] = [];
  for (const s of many) {
    const sig = signature(s.labels, m);
    const partner = oneBySig.get(sig);
    if (!partner) continue;
    const [l, r] = swapped ? [partner.value, s.value] : [s.value, partner.value];
    let [value, keep] = elementOp(op, l, r);
    if (bool) [value, keep] = [keep ? 1 : 0, true];
    if (!keep) continue;
    const labels = resultLabels(s.labels, partner.labels, op, m, bool);
    const inserted = matched.get(sig);
    if (m.card === "one-to-one") {
      if (inserted)
        throw execution(
          "multiple matches for labels: many-to-one matching must be explicit (group_left/group_right)",
        );
      matched.set(sig, new Set());
    } else {
      const key = labelsKey(labels);
      if (inserted?.has(key))
        throw execution("multiple matches for labels: grouping labels must ensure unique matches");
      if (inserted) inserted.add(key);
      else matched.set(sig, new Set([key]));
    }
    out.push({ labels, value });
  }
  return out;
}

/** and / or / unless: filtering by the presence of a matching series on the other side. */
export function setBinary(
  op: "and" | "or" | "unless",
  lhs: readonly Sample[],
  rhs: readonly Sample[],
  m: VectorMatching,
): Sample[] {
  if (op === "or") {
    if (lhs.length === 0) return [...rhs];
    const left = new Set(lhs.map((s) => signature(s.labels, m)));
    return [...lhs, ...rhs.filter((s) => !left.has(signature(s.labels, m)))];
  }
  const right = new Set(rhs.map((s) => signature(s.labels, m)));
  return lhs.filter((s) => right.has(signature(s.labels, m)) === (op === "and"));
}
