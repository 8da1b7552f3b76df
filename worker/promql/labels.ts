/** Label sets and matchers: RE2-style anchored regexes (compiled once, cached), signatures for grouping, ordering. */
import { badData } from "./errors.ts";
import type { LabelMatcher, LabelSet } from "./querier.ts";

export const METRIC_NAME = "__name__";

const regexCache = new Map<string, RegExp>();

/** The anchored regex of a `=~`/`!~` matcher value; bad_data when RE2 would refuse it too (as JS sees it). */
export function compileRegex(source: string): RegExp {
  let re = regexCache.get(source);
  if (re) return re;
  // RE2's leading `(?i)` (or `(?s)`, …) applies to the whole pattern; JavaScript spells it as a flag.
  const flagged = /^\(\?([ims]+)\)/.exec(source);
  const flags = flagged ? [...new Set(flagged[1])].join("").replace("m", "") : "";
  // JavaScript takes lookarounds and backreferences, which RE2 (so Prometheus) refuses.
  if (/\(\?<?[=!]|\\[1-9]/.test(source))
    throw badData("error parsing regexp: invalid or unsupported Perl syntax");
  // RE2's named groups `(?P<name>…)` are `(?<name>…)` in JavaScript.
  const body = (flagged ? source.slice(flagged[0].length) : source).replaceAll("(?P<", "(?<");
  try {
    re = new RegExp(`^(?:${body})$`, flags);
  } catch (e) {
    throw badData(`error parsing regexp: ${(e as Error).message}`);
  }
  if (regexCache.size > 1000) regexCache.clear();
  regexCache.set(source, re);
  return re;
}

/** Whether a label value (the empty string for a missing label) satisfies one matcher. */
export function matches(m: LabelMatcher, value: string): boolean {
  switch (m.type) {
    case "=":
      return value === m.value;
    case "!=":
      return value !== m.value;
    case "=~":
      return compileRegex(m.value).test(value);
    case "!~":
      return !compileRegex(m.value).test(value);
  }
}

/** Whether a series' labels satisfy every matcher, a missing label reading as the empty string. */
export function matchesAll(labels: LabelSet, matchers: readonly LabelMatcher[]): boolean {
  return matchers.every((m) => matches(m, labels[m.name] ?? ""));
}

/** A copy without the listed label names. */
export function without(labels: LabelSet, names: readonly string[]): LabelSet {
  const out: Record<string, string> = { ...labels };
  for (const n of names) delete out[n];
  return out;
}

/** A copy with only the listed label names. */
export function keepOnly(labels: LabelSet, names: readonly string[]): LabelSet {
  const out: Record<string, string> = {};
  for (const n of names) {
    const v = labels[n];
    if (v !== undefined && v !== "") out[n] = v;
  }
  return out;
}

// A series' label set is one object through every step of a query: what is derived from it is derived once.
const withoutName = new WeakMap<LabelSet, LabelSet>();
const keys = new WeakMap<LabelSet, string>();

export function dropMetricName(labels: LabelSet): LabelSet {
  if (labels[METRIC_NAME] === undefined) return labels;
  let dropped = withoutName.get(labels);
  if (!dropped) {
    dropped = without(labels, [METRIC_NAME]);
    withoutName.set(labels, dropped);
  }
  return dropped;
}

/** A string identifying the label set (names sorted), for maps keyed by series. */
export function labelsKey(labels: LabelSet): string {
  let key = keys.get(labels);
  if (key === undefined) {
    key = "";
    for (const name of Object.keys(labels).sort()) key += `${name}\xff${labels[name]}\xfe`;
    keys.set(labels, key);
  }
  return key;
}

export interface Grouping {
  readonly key: string;
  readonly labels: LabelSet;
}

/** The key and labels of the listed labels only (`by`, `on`) or of all but them and `__name__` (`without`, `ignoring`). */
export function grouping(labels: LabelSet, names: readonly string[], on: boolean): Grouping {
  // Cached by the grouping's own list (one array per AST node) and the label set.
  const byNames = on ? groupingsOn : groupingsIgnoring;
  let byLabels = byNames.get(names);
  if (!byLabels) {
    byLabels = new WeakMap();
    byNames.set(names, byLabels);
  }
  let g = byLabels.get(labels);
  if (g === undefined) {
    g = computeGrouping(labels, names, on);
    byLabels.set(labels, g);
  }
  return g;
}

export const groupingKey = (labels: LabelSet, names: readonly string[], on: boolean): string =>
  grouping(labels, names, on).key;

const groupingsOn = new WeakMap<readonly string[], WeakMap<LabelSet, Grouping>>();
const groupingsIgnoring = new WeakMap<readonly string[], WeakMap<LabelSet, Grouping>>();

function computeGrouping(labels: LabelSet, names: readonly string[], on: boolean): Grouping {
  if (on) {
    let key = "";
    for (const n of [...names].sort()) key += `${n}\xff${labels[n] ?? ""}\xfe`;
    return { key, labels: keepOnly(labels, names) };
  }
  const kept = without(labels, [...names, METRIC_NAME]);
  return { key: labelsKey(kept), labels: kept };
}

/**
 * What is derived from the label set at each position of a vector, kept while the same label set comes back to the
 * same place: a vector's series mostly keep their order from step to step, so this is a comparison, not a lookup.
 */
export class ByPosition<T> {
  private readonly labels: LabelSet[] = [];
  private readonly values: T[] = [];
  private readonly derive: (labels: LabelSet) => T;

  constructor(derive: (labels: LabelSet) => T) {
    this.derive = derive;
  }

  get(position: number, labels: LabelSet): T {
    if (this.labels[position] !== labels) {
      this.labels[position] = labels;
      this.values[position] = this.derive(labels);
    }
    return this.values[position] as T;
  }
}

/** Prometheus's labels.Compare: name by name in sorted order, then value, shorter set first. */
export function compareLabels(a: LabelSet, b: LabelSet): number {
  const an = Object.keys(a).sort();
  const bn = Object.keys(b).sort();
  for (let i = 0; i < Math.min(an.length, bn.length); i++) {
    const x = an[i] as string;
    const y = bn[i] as string;
    if (x !== y) return x < y ? -1 : 1;
    const xv = a[x] as string;
    const yv = b[y] as string;
    if (xv !== yv) return xv < yv ? -1 : 1;
  }
  return an.length - bn.length;
}

/** Prometheus's Labels.String(): `{a="b", c="d"}` with Go-quoted values, sorted by name. */
export function formatLabels(labels: LabelSet): string {
  const parts = Object.keys(labels)
    .sort()
    .map((n) => `${n}=${JSON.stringify(labels[n])}`);
  return `{${parts.join(", ")}}`;
}
