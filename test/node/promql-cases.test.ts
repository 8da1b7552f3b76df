/** Runs every case file in test/node/promql/*.promqltest against the engine over an in-memory Querier. */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  formatValue,
  instantQuery,
  PromQLError,
  type QueryData,
  rangeQuery,
} from "../../worker/promql/index.ts";
import { memoryQuerier } from "./promql/memory-querier.ts";
import { type Evaluation, parseScript, parseValue } from "./promql/script.ts";

const folder = join(import.meta.dirname, "promql");

/** Exact as Prometheus prints it, or within 1e-9 relative for values written by hand with fewer digits. */
function sameValue(actual: string, expected: string): boolean {
  const want = parseValue(expected);
  if (formatValue(want) === actual) return true;
  const got = Number(actual);
  return (
    Number.isFinite(want) &&
    Number.isFinite(got) &&
    Math.abs(got - want) <= 1e-9 * Math.max(Math.abs(want), 1e-300)
  );
}

const key = (metric: Record<string, string>): string => JSON.stringify(Object.entries(metric).sort());

/** The result as comparable rows: labels and values per step (`_` where a range query has no point). */
function rows(data: QueryData, e: Evaluation): { labels: string; values: string[] }[] {
  switch (data.resultType) {
    case "scalar":
      return [{ labels: "scalar", values: [data.result[1]] }];
    case "string":
      return [{ labels: "string", values: [data.result[1]] }];
    case "vector":
      return data.result.map((r) => ({ labels: key(r.metric), values: [r.value[1]] }));
    case "matrix":
      return data.result.map((r) => {
        if (e.mode.kind !== "range") return { labels: key(r.metric), values: r.values.map((p) => p[1]) };
        const { start, end, step } = e.mode;
        const byTime = new Map(r.values.map(([t, v]) => [Math.round(t * 1000), v]));
        const values: string[] = [];
        for (let t = start; t <= end; t += step) values.push(byTime.get(t) ?? "_");
        return { labels: key(r.metric), values };
      });
  }
}

function check(data: QueryData, e: Evaluation): void {
  const got = rows(data, e);
  const want = e.expected.map((x) => ({
    labels: x.kind === "sample" ? key(x.labels ?? {}) : x.kind,
    values: x.values,
  }));
  type Row = { labels: string; values: readonly string[] };
  const order = (r: Row[]) => (e.ordered ? r : [...r].sort((a, b) => (a.labels < b.labels ? -1 : 1)));
  const [g, w] = [order(got), order(want)];
  expect(g.map((r) => r.labels)).toEqual(w.map((r) => r.labels));
  g.forEach((row, i) => {
    const expected = (w[i] as Row).values;
    expect(row.values.length, `points of ${row.labels}: ${row.values.join(" ")}`).toBe(expected.length);
    row.values.forEach((v, j) => {
      const x = expected[j] as string;
      const same = x === "_" || v === "_" || data.resultType === "string" ? v === x : sameValue(v, x);
      expect(same, `${row.labels} point ${j}: got ${v}, want ${x}`).toBe(true);
    });
  });
}

for (const file of readdirSync(folder).filter((f) => f.endsWith(".promqltest"))) {
  const script = parseScript(readFileSync(join(folder, file), "utf8"));
  describe(file, () => {
    for (const e of script.evaluations) {
      it(`line ${e.line}: ${e.mode.kind} ${e.expr}`, async () => {
        const q = memoryQuerier(script.series);
        const run = () =>
          e.mode.kind === "instant"
            ? instantQuery(q, e.expr, e.mode.at)
            : rangeQuery(q, e.expr, e.mode.start, e.mode.end, e.mode.step);
        if (e.fail) {
          const error = await run().then(
            () => undefined,
            (err: unknown) => err,
          );
          expect(error, "the query must fail").toBeInstanceOf(PromQLError);
          const p = error as PromQLError;
          if (e.fail.type) expect(p.errorType).toBe(e.fail.type);
          if (e.fail.message) expect(p.message).toContain(e.fail.message);
          return;
        }
        check(await run(), e);
      });
    }
  });
}
