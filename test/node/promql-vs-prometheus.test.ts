/**
 * The engine against Debian's real Prometheus (2.42) on the same samples: each expression of every family, as instant
 * queries at several times and range queries with several steps, compared result by result. Values must be equal as
 * Prometheus prints them, or within 1e-12 relative where float sums run in a different order (counted apart). Each
 * case runs twice: over one store, and over the series dealt to three stores with aggregations pushed down to them.
 */
import { execFileSync } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  instantQuery,
  PromQLError,
  type Querier,
  type QueryData,
  rangeQuery,
} from "../../worker/promql/index.ts";
import { memoryQuerier, splitQuerier } from "./promql/memory-querier.ts";
import { oracleSeries, T0 } from "./promql/oracle-data.ts";
import { families } from "./promql/oracle-expressions.ts";
import { type PrometheusServer, startPrometheus } from "./promql/prometheus-server.ts";

const MINUTE = 60_000;
// 675 s is sample 45, where the special series hold NaN, +Inf and -Inf at once.
const INSTANTS = [
  T0 - 30_000,
  T0 + 675_000,
  T0 + 12 * MINUTE + 7_000,
  T0 + 30 * MINUTE,
  T0 + 50 * MINUTE,
  T0 + 53 * MINUTE,
];
const RANGES = [
  { start: T0, end: T0 + 50 * MINUTE, step: MINUTE },
  { start: T0 + 5 * MINUTE, end: T0 + 40 * MINUTE, step: 37_000 },
  // From before the first sample to after the last, with steps longer than most windows.
  { start: T0 - 10 * MINUTE, end: T0 + 60 * MINUTE, step: 7 * MINUTE },
];

/** Expressions where our answer is known to differ from 2.42's, with the reason (README names them too). */
const KNOWN_DIFFERENCES: Readonly<Record<string, string>> = {
  // predict_linear is not step-invariant (its intercept is the step's time), so 2.42 reads the fixed `@` window
  // through a buffer it trims to one step per step: after a few steps the window's samples are gone (values wander,
  // then the series ends). We read the whole fixed window at every step.
  "predict_linear(node_temp[10m] @ end(), 60)":
    "Prometheus 2.42 loses samples of an @ window inside predict_linear",
};

type Outcome = { ok: true; data: QueryData } | { ok: false; errorType: string; error: string };

interface Tally {
  total: number;
  matched: number;
  /** Cases where both returned at least one sample: the comparison had something to compare. */
  nonEmpty: number;
  withinTolerance: number;
  /** Cases that differ for a reason in KNOWN_DIFFERENCES. */
  known: number;
  mismatches: string[];
}

function close(a: string, b: string): "exact" | "close" | "different" {
  if (a === b) return "exact";
  const [x, y] = [Number(a), Number(b)];
  if (
    Number.isFinite(x) &&
    Number.isFinite(y) &&
    Math.abs(x - y) <= 1e-12 * Math.max(Math.abs(x), Math.abs(y))
  )
    return "close";
  return "different";
}

const metricKey = (m: Record<string, string>) => JSON.stringify(Object.entries(m).sort());

/** Why two outcomes differ, or undefined when they agree; `tolerated` counts values equal only within tolerance. */
function difference(
  prom: Outcome,
  ours: Outcome,
  ordered: boolean,
  tolerated: { n: number },
): string | undefined {
  if (!prom.ok || !ours.ok) {
    if (prom.ok !== ours.ok)
      return `prometheus ${prom.ok ? "succeeded" : `failed: ${prom.error}`}, ours ${ours.ok ? "succeeded" : `failed: ${ours.error}`}`;
    if (!prom.ok && !ours.ok && prom.errorType !== ours.errorType)
      return `errorType ${prom.errorType} vs ${ours.errorType}`;
    // Evaluation errors must read as Prometheus's; parse errors come from another parser, so only their type must.
    if (!prom.ok && !ours.ok && !/parse error/.test(prom.error) && prom.error !== ours.error)
      return `error ${JSON.stringify(prom.error)} vs ${JSON.stringify(ours.error)}`;
    return undefined;
  }
  const [p, o] = [prom.data, ours.data];
  if (p.resultType !== o.resultType) return `resultType ${p.resultType} vs ${o.resultType}`;
  const pairs = (a: [number, string], b: [number, string], where: string) => {
    if (a[0] !== b[0]) return `${where}: time ${a[0]} vs ${b[0]}`;
    const c = close(a[1], b[1]);
    if (c === "close") tolerated.n++;
    return c === "different" ? `${where}: value ${a[1]} vs ${b[1]}` : undefined;
  };
  if (p.resultType === "scalar" || p.resultType === "string")
    return pairs(p.result, o.result as [number, string], "scalar");
  type Row = { metric: Record<string, string>; points: [number, string][] };
  const rows = (d: QueryData): Row[] => {
    const r =
      d.resultType === "vector"
        ? d.result.map((x) => ({ metric: x.metric, points: [x.value] }))
        : d.resultType === "matrix"
          ? d.result.map((x) => ({ metric: x.metric, points: x.values }))
          : [];
    return ordered ? r : r.sort((a, b) => (metricKey(a.metric) < metricKey(b.metric) ? -1 : 1));
  };
  const [pr, or] = [rows(p), rows(o)];
  if (pr.length !== or.length)
    return `${pr.length} series vs ${or.length}: ${JSON.stringify(pr.map((r) => r.metric))} vs ${JSON.stringify(or.map((r) => r.metric))}`;
  for (const [i, a] of pr.entries()) {
    const b = or[i] as Row;
    if (metricKey(a.metric) !== metricKey(b.metric))
      return `series ${i}: ${metricKey(a.metric)} vs ${metricKey(b.metric)}`;
    if (a.points.length !== b.points.length)
      return `${metricKey(a.metric)}: ${a.points.length} points vs ${b.points.length}`;
    for (const [j, point] of a.points.entries()) {
      const d = pairs(point, b.points[j] as [number, string], `${metricKey(a.metric)}[${j}]`);
      if (d) return d;
    }
  }
  return undefined;
}

async function ours(run: () => Promise<QueryData>): Promise<Outcome> {
  try {
    return { ok: true, data: JSON.parse(JSON.stringify(await run())) as QueryData };
  } catch (e) {
    if (e instanceof PromQLError) return { ok: false, errorType: e.errorType, error: e.apiMessage };
    throw e;
  }
}

function prometheusOutcome(body: unknown): Outcome {
  const b = body as { status: string; data: QueryData; errorType: string; error: string };
  return b.status === "success"
    ? { ok: true, data: b.data }
    : { ok: false, errorType: b.errorType, error: b.error };
}

const hasPrometheus = (() => {
  try {
    execFileSync("prometheus", ["--version"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
})();

describe.skipIf(!hasPrometheus)("the PromQL engine against Prometheus 2.42 on the same samples", () => {
  let prometheus: PrometheusServer;
  const series = oracleSeries();
  const querier = memoryQuerier(series);
  const split = splitQuerier(series, 3);

  beforeAll(async () => {
    prometheus = await startPrometheus();
    await prometheus.write(series);
  });
  afterAll(async () => {
    await prometheus?.stop();
  });

  it("answers every expression family as Prometheus does, instant and range", async () => {
    const tallies: Record<string, Tally> = {};
    for (const [family, expressions] of Object.entries(families)) {
      const tally: Tally = {
        total: 0,
        matched: 0,
        nonEmpty: 0,
        withinTolerance: 0,
        known: 0,
        mismatches: [],
      };
      tallies[family] = tally;
      for (const expr of expressions) {
        const ordered = /^sort(_desc)?\(/.test(expr);
        type Run = (q: Querier) => Promise<QueryData>;
        const cases: { label: string; prom: () => Promise<unknown>; ours: Run }[] = [
          ...INSTANTS.map((t) => ({
            label: `instant @${(t - T0) / 1000}s`,
            prom: () => prometheus.api("/api/v1/query", { query: expr, time: String(t / 1000) }),
            ours: (q: Querier) => instantQuery(q, expr, t),
          })),
          ...RANGES.map((r) => ({
            label: `range ${(r.start - T0) / 1000}..${(r.end - T0) / 1000}s step ${r.step / 1000}s`,
            prom: () =>
              prometheus.api("/api/v1/query_range", {
                query: expr,
                start: String(r.start / 1000),
                end: String(r.end / 1000),
                step: String(r.step / 1000),
              }),
            ours: (q: Querier) => rangeQuery(q, expr, r.start, r.end, r.step),
          })),
        ];
        for (const c of cases) {
          tally.total++;
          const tolerated = { n: 0 };
          const prom = prometheusOutcome(await c.prom());
          const whyPushed = difference(prom, await ours(() => c.ours(split)), ordered, { n: 0 });
          const why =
            difference(prom, await ours(() => c.ours(querier)), ordered, tolerated) ??
            (whyPushed && `pushed down over 3 stores: ${whyPushed}`);
          if (why === undefined) {
            tally.matched++;
            if (prom.ok && (prom.data.resultType === "scalar" || prom.data.result.length > 0))
              tally.nonEmpty++;
            if (tolerated.n > 0) tally.withinTolerance++;
          } else if (KNOWN_DIFFERENCES[expr]) tally.known++;
          else tally.mismatches.push(`${expr} (${c.label}): ${why}`);
        }
      }
    }
    const table = Object.entries(tallies).map(
      ([family, t]) =>
        `${family.padEnd(16)} ${String(t.matched).padStart(4)}/${String(t.total).padEnd(4)} (${t.nonEmpty} with samples, ${t.withinTolerance} within 1e-12${t.known ? `, ${t.known} known differences` : ""})`,
    );
    const all = Object.values(tallies);
    console.log(
      `PromQL vs Prometheus 2.42, matched/total per family:\n${table.join("\n")}\n` +
        `all: ${all.reduce((n, t) => n + t.matched, 0)}/${all.reduce((n, t) => n + t.total, 0)}`,
    );
    const mismatches = all.flatMap((t) => t.mismatches);
    // Agreement on empty answers proves little: most cases of each family (errors aside) must hold samples.
    for (const [family, t] of Object.entries(tallies))
      if (family !== "errors") expect(t.nonEmpty, family).toBeGreaterThan(t.total * 0.6);
    expect(mismatches.slice(0, 40)).toEqual([]);
  }, 120_000);

  it("refuses bad range queries with Prometheus's error types and messages", async () => {
    const cases = [
      { query: "node_temp", start: T0, end: T0 + 20_001_000, step: 1000 },
      { query: "node_temp", start: T0 + 1000, end: T0, step: 1000 },
      { query: "node_temp", start: T0, end: T0 + 1000, step: -1000 },
      { query: "node_temp[5m]", start: T0, end: T0 + 60_000, step: 1000 },
      { query: '"text"', start: T0, end: T0 + 60_000, step: 1000 },
    ];
    for (const c of cases) {
      const prom = prometheusOutcome(
        await prometheus.api("/api/v1/query_range", {
          query: c.query,
          start: String(c.start / 1000),
          end: String(c.end / 1000),
          step: String(c.step / 1000),
        }),
      );
      const mine = await ours(() => rangeQuery(querier, c.query, c.start, c.end, c.step));
      expect(prom.ok, JSON.stringify(c)).toBe(false);
      expect(mine).toEqual(prom);
    }
  });
});
