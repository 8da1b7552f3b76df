/**
 * A small test language for the PromQL engine, after Prometheus's promqltest (our own cases, our own parser):
 *
 *   load 1m                          interval between the values that follow
 *     metric{a="b"} 0+10x5 _ stale NaN -Inf 1x2     (a+bxN: N+1 values stepping by b; _ skips one; _xN skips N)
 *   eval instant at 5m <expr>        then the expected samples, one per line: `{labels} value`, `scalar v`, `string "s"`
 *   eval ordered instant at 5m …     the order of the expected samples is checked too
 *   eval range from 0 to 10m step 1m <expr>     then `{labels} v1 v2 …` (one per step, `_` for no point)
 *   eval fail instant at 0 <expr>    then optionally `error_type bad_data` and/or `error_message <substring>`
 */
import { parseSeriesSelector } from "../../../worker/promql/index.ts";
import { parseDuration } from "../../../worker/promql/literals.ts";
import type { StoredSeries } from "./memory-querier.ts";

export interface Expected {
  readonly labels?: Record<string, string>;
  readonly kind: "sample" | "scalar" | "string";
  /** Values as written (numbers, NaN, ±Inf, `_` for no point at that step in a range). */
  readonly values: readonly string[];
}

export interface Evaluation {
  readonly line: number;
  readonly expr: string;
  readonly mode:
    | { kind: "instant"; at: number }
    | { kind: "range"; start: number; end: number; step: number };
  readonly ordered: boolean;
  readonly fail?: { type?: string; message?: string };
  readonly expected: Expected[];
}

export interface Script {
  readonly series: StoredSeries[];
  readonly evaluations: Evaluation[];
}

/** A time as written in scripts: a duration (`5m`) or seconds. */
function time(text: string): number {
  const ms = parseDuration(text);
  if (ms !== undefined) return ms;
  const s = Number(text);
  if (Number.isNaN(s)) throw new Error(`bad time ${text}`);
  return s * 1000;
}

export function parseValue(text: string): number {
  if (text === "NaN") return Number.NaN;
  if (text === "Inf" || text === "+Inf") return Number.POSITIVE_INFINITY;
  if (text === "-Inf") return Number.NEGATIVE_INFINITY;
  const v = Number(text);
  if (Number.isNaN(v)) throw new Error(`bad value ${text}`);
  return v;
}

/** Expands `0+10x3 _ stale 5` into samples every `interval` ms from 0. */
function expandValues(items: string[], interval: number): StoredSeries["samples"] {
  const samples: StoredSeries["samples"] = [];
  let slot = 0;
  for (const item of items) {
    const skip = /^_(?:x(\d+))?$/.exec(item);
    const series = /^([-+]?[^x+-]+(?:e[-+]?\d+)?)(?:([-+])([^x]+))?x(\d+)$/.exec(item);
    if (skip) slot += Number(skip[1] ?? 1);
    else if (item === "stale") samples.push({ t: slot++ * interval, v: Number.NaN, stale: true });
    else if (series) {
      const start = parseValue(series[1] as string);
      const delta = series[3] ? parseValue(series[3]) * (series[2] === "-" ? -1 : 1) : 0;
      for (let i = 0; i <= Number(series[4]); i++)
        samples.push({ t: slot++ * interval, v: start + delta * i });
    } else samples.push({ t: slot++ * interval, v: parseValue(item) });
  }
  return samples;
}

function labelsOf(selector: string): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const m of parseSeriesSelector(selector)) {
    if (m.type !== "=") throw new Error(`labels must be written with =: ${selector}`);
    labels[m.name] = m.value;
  }
  return labels;
}

/** Splits `name{a="b c"} 1 2` into the label part and the rest, respecting quotes. */
function splitSeriesLine(line: string): [string, string[]] {
  const close =
    line.startsWith("{") || /^[\w:]+\{/.test(line) ? line.lastIndexOf("}") + 1 : line.search(/\s|$/);
  return [line.slice(0, close), line.slice(close).trim().split(/\s+/).filter(Boolean)];
}

export function parseScript(text: string): Script {
  const series: StoredSeries[] = [];
  const evaluations: Evaluation[] = [];
  let interval = 0;
  let current: (Evaluation & { expected: Expected[] }) | undefined;
  let block: "load" | "eval" | undefined;
  text.split("\n").forEach((raw, i) => {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) return;
    const load = /^load\s+(\S+)$/.exec(line);
    const evalLine =
      /^eval(\s+fail)?(\s+ordered)?\s+(instant\s+at\s+(\S+)|range\s+from\s+(\S+)\s+to\s+(\S+)\s+step\s+(\S+))\s+(.+)$/.exec(
        line,
      );
    if (load) {
      interval = time(load[1] as string);
      block = "load";
    } else if (evalLine) {
      const [, fail, ordered, , at, from, to, step, expr] = evalLine;
      const mode =
        at !== undefined
          ? { kind: "instant" as const, at: time(at) }
          : {
              kind: "range" as const,
              start: time(from as string),
              end: time(to as string),
              step: time(step as string),
            };
      current = {
        line: i + 1,
        expr: expr as string,
        mode,
        ordered: Boolean(ordered),
        expected: [],
        ...(fail ? { fail: {} } : {}),
      };
      evaluations.push(current);
      block = "eval";
    } else if (block === "load") {
      const [selector, values] = splitSeriesLine(line);
      series.push({ labels: labelsOf(selector), samples: expandValues(values, interval) });
    } else if (block === "eval" && current) {
      const error = /^error_(type|message)\s+(.+)$/.exec(line);
      if (error && current.fail)
        (current.fail as Record<string, string>)[error[1] as string] = error[2] as string;
      else if (line.startsWith("scalar "))
        current.expected.push({ kind: "scalar", values: [line.slice(7).trim()] });
      else if (line.startsWith("string "))
        current.expected.push({ kind: "string", values: [JSON.parse(line.slice(7))] });
      else {
        const [selector, values] = splitSeriesLine(line);
        current.expected.push({
          kind: "sample",
          labels: selector === "{}" ? {} : labelsOf(selector),
          values,
        });
      }
    } else throw new Error(`line ${i + 1}: unexpected ${line}`);
  });
  return { series, evaluations };
}
