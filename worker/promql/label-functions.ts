/** Functions that rewrite labels: label_replace, label_join, and absent's labels from a selector's matchers. */
import { type Expr, unwrapParens } from "./ast.ts";
import { execution } from "./errors.ts";
import { type InstantFunction, samplesOf, stringOf } from "./instant-functions.ts";
import { compileRegex, METRIC_NAME } from "./labels.ts";
import type { LabelSet } from "./querier.ts";
import { vector } from "./values.ts";

const labelNamePattern = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/** Go's Regexp.ExpandString: `$1`, `${1}`, `$name`, `${name}`, `$$`; a name is the longest run of word characters. */
function expand(template: string, match: RegExpExecArray): string {
  return template.replace(/\$(?:\$|\{(\w+)\}|(\w+))/g, (whole, braced?: string, bare?: string) => {
    if (whole === "$$") return "$";
    const name = (braced ?? bare) as string;
    const group = /^\d+$/.test(name) ? match[Number(name)] : match.groups?.[name];
    return group ?? "";
  });
}

function withLabel(labels: LabelSet, name: string, value: string): LabelSet {
  const out: Record<string, string> = { ...labels };
  if (value === "") delete out[name];
  else out[name] = value;
  return out;
}

const labelReplace: InstantFunction = ([v, dst, replacement, src, regex]) => {
  const [dstName, pattern] = [stringOf(dst), stringOf(regex)];
  let re: RegExp;
  try {
    re = compileRegex(pattern);
  } catch {
    throw execution(`invalid regular expression in label_replace(): ${pattern}`);
  }
  if (!labelNamePattern.test(dstName))
    throw execution(`invalid destination label name in label_replace(): ${dstName}`);
  return vector(
    samplesOf(v).map((s) => {
      const match = re.exec(s.labels[stringOf(src)] ?? "");
      return match
        ? { labels: withLabel(s.labels, dstName, expand(stringOf(replacement), match)), value: s.value }
        : s;
    }),
  );
};

const labelJoin: InstantFunction = ([v, dst, separator, ...sources]) => {
  const srcNames = sources.map(stringOf);
  for (const src of srcNames)
    if (!labelNamePattern.test(src)) throw execution(`invalid source label name in label_join(): ${src}`);
  const dstName = stringOf(dst);
  if (!labelNamePattern.test(dstName))
    throw execution(`invalid destination label name in label_join(): ${dstName}`);
  return vector(
    samplesOf(v).map((s) => {
      const joined = srcNames.map((n) => s.labels[n] ?? "").join(stringOf(separator));
      return { labels: withLabel(s.labels, dstName, joined), value: s.value };
    }),
  );
};

/** The labels absent() reports: each label an equality matcher names once, other than `__name__`. */
export function absentLabels(arg: Expr | undefined): LabelSet {
  const e = arg ? unwrapParens(arg) : undefined;
  const selector = e?.type === "vectorSelector" ? e : e?.type === "matrixSelector" ? e.vector : undefined;
  if (!selector) return {};
  const out: Record<string, string> = {};
  const seen = new Set<string>();
  for (const m of selector.matchers) {
    if (m.name === METRIC_NAME) continue;
    if (m.type === "=" && !seen.has(m.name)) {
      if (m.value === "") delete out[m.name];
      else out[m.name] = m.value;
      seen.add(m.name);
    } else delete out[m.name];
  }
  return out;
}

export const labelFunctions = {
  label_replace: labelReplace,
  label_join: labelJoin,
  absent: ([v], c) =>
    samplesOf(v).length > 0 ? vector([]) : vector([{ labels: absentLabels(c.argExprs[0]), value: 1 }]),
} satisfies Record<string, InstantFunction>;
