import { type RealPrometheus, remoteWrite, startRealPrometheus } from "../../scripts/real-prometheus.ts";
import { remoteWriteBody, type WrittenSeries } from "../../scripts/remote-write-body.ts";
import { signToken } from "../../worker/auth/tokens.ts";
import { Histogram } from "../lib/histogram.ts";
import { HotSpotRecorder } from "../lib/hot-spots.ts";
import { HttpClient } from "../lib/http.ts";
import { awaitQuietMachine } from "../lib/quiet.ts";
import { startServer } from "../lib/server.ts";
import { num, printTable, ratio } from "../lib/table.ts";
import { mintToken } from "../lib/tokens.ts";
import type { BenchContext } from "./context.ts";

const STEP_MS = 15_000;
const HOUR = 3_600_000;
/** Counters per instance (a device; 1,000 series each at most) and histogram buckets per job. */
const COUNTERS_PER_INSTANCE = 100;
const BUCKETS = ["0.005", "0.01", "0.025", "0.05", "0.1", "0.25", "0.5", "1", "2.5", "+Inf"];
const JOBS = 10;
/** Remote write requests carry at most this many samples (edgepulse takes 10,000 points a request). */
const SAMPLES_PER_REQUEST = 9_000;
/** What any query costs before it reads a sample: HTTP through wrangler dev's proxy, credentials, the engine. */
const NO_SAMPLES = "vector(1)";
/** A selector no series matches: what asking every shard costs, on top of `vector(1)`. */
const NO_SERIES = "no_such_metric";
const EXPRESSIONS = [
  "sum by (job) (rate(http_requests_total[5m]))",
  "histogram_quantile(0.99, sum by (le) (rate(rpc_duration_seconds_bucket[5m])))",
  "topk(5, rate(http_requests_total[5m]))",
  NO_SAMPLES,
  NO_SERIES,
];
/** Not a query: the floor under `vector(1)`, HTTP through wrangler dev's proxy and the credential check only. */
const BUILDINFO = "status/buildinfo (no query)";
/**
 * Below that, wrangler dev's proxy alone: the bench Worker's `/bench/health`, no credential, no app middleware
 * (against Prometheus's `/-/healthy`).
 */
const PROXY_FLOOR = "health (proxy floor)";

/** Repeats of the rows that read no sample, whatever the run's repeats. */
const FIXED_COST_REPEATS = 30;

/** A query window: its span, the samples' interval, the query's step; the hub's raw window is 1 h. */
interface Window {
  name: string;
  spanMs: number;
  stepSeconds: number;
}
const RAW_WINDOW: Window = { name: "1 h (raw)", spanMs: HOUR, stepSeconds: 15 };
/** A 24 h panel as Grafana asks for one (a 1 min step), answered from 1-minute rollups beyond the raw window. */
const ROLLUP_WINDOW: Window = { name: "24 h (rollups)", spanMs: 24 * HOUR, stepSeconds: 60 };
/** Series of the 24 h run: 5.8 M samples at 15 s. */
const ROLLUP_SERIES = 1_000;

interface Row {
  window: string;
  series: number;
  expr: string;
  target: "edgepulse" | "prometheus";
  latencyMs: Histogram;
  /** The warm-up request's time: the first asking, before anything the answer read is cached. */
  firstMs: number;
  rowsRead: number;
  bytesMoved: number;
  samples: number;
  selectMs: number;
}

/** `count` series over `spanMs` up to `end` at 15 s: counters by job, code and instance, a classic histogram per job. */
export function dataset(count: number, end: number, spanMs: number): WrittenSeries[] {
  const times = Array.from({ length: spanMs / STEP_MS + 1 }, (_, i) => end - spanMs + i * STEP_MS);
  const series: WrittenSeries[] = [];
  for (let job = 0; job < JOBS; job++) {
    const counts = BUCKETS.map(() => 0);
    const samples = BUCKETS.map(() => [] as Array<[number, number]>);
    for (const [i, t] of times.entries()) {
      BUCKETS.forEach((_, b) => {
        counts[b]! += ((i * 7 + job * 3 + b) % 5) + b;
        samples[b]!.push([counts[b]!, t]);
      });
    }
    for (const [b, le] of BUCKETS.entries()) {
      const labels = {
        __name__: "rpc_duration_seconds_bucket",
        instance: `rpc-${job}`,
        job: `job-${job}`,
        le,
      };
      series.push({ labels, samples: samples[b]! });
    }
  }
  for (let n = 0; series.length < count; n++) {
    const instance = `10.0.${Math.floor(n / COUNTERS_PER_INSTANCE / 250)}.${Math.floor(n / COUNTERS_PER_INSTANCE) % 250}:9100`;
    const labels = {
      __name__: "http_requests_total",
      instance,
      job: `job-${n % JOBS}`,
      code: String(200 + (n % 7)),
      path: `/p${n % COUNTERS_PER_INSTANCE}`,
    };
    series.push({ labels, samples: times.map((t, i) => [i * ((n % 13) + 1), t]) });
  }
  return series;
}

/**
 * Remote-write bodies of at most SAMPLES_PER_REQUEST samples, in time order: each holds every series' samples of a
 * few consecutive times (Prometheus refuses a sample far older than the newest it holds, so no series may run ahead).
 */
export function* bodies(series: WrittenSeries[]): Generator<Uint8Array<ArrayBuffer>> {
  const times = Math.max(...series.map((s) => s.samples.length));
  const seriesPerBody = Math.min(series.length, SAMPLES_PER_REQUEST);
  const timesPerBody = Math.max(1, Math.floor(SAMPLES_PER_REQUEST / seriesPerBody));
  for (let from = 0; from < times; from += timesPerBody)
    for (let first = 0; first < series.length; first += seriesPerBody) {
      const part = series.slice(first, first + seriesPerBody);
      yield remoteWriteBody(part.map((s) => ({ ...s, samples: s.samples.slice(from, from + timesPerBody) })));
    }
}

async function timeQuery(
  client: HttpClient,
  path: string,
  headers: Record<string, string>,
  repeats: number,
): Promise<{ latencyMs: Histogram; firstMs: number; cost: Record<string, number> }> {
  const latencyMs = new Histogram();
  const cost: Record<string, number> = {};
  let firstMs = 0;
  for (let i = -1; i < repeats; i++) {
    const started = performance.now();
    const response = await client.send("GET", path, headers);
    if (response.status !== 200)
      throw new Error(`GET ${path}: ${response.status} ${response.body.slice(0, 300)}`);
    if (i < 0) {
      firstMs = performance.now() - started;
      continue;
    }
    latencyMs.record(performance.now() - started);
    for (const name of ["rows-read", "bytes-moved", "samples", "select-ms"])
      cost[name] = Number(response.headers[`x-edgepulse-${name}`] ?? Number.NaN);
  }
  return { latencyMs, firstMs, cost };
}

function report(rows: Row[]): void {
  const prometheusOf = (row: Row) =>
    rows.find(
      (r) =>
        r.window === row.window &&
        r.series === row.series &&
        r.expr === row.expr &&
        r.target === "prometheus",
    );
  printTable(
    "PromQL query_range, edgepulse vs Debian's Prometheus 2.42 on the same samples (15 s apart)",
    [
      "window",
      "series",
      "expression",
      "target",
      "first ms",
      "p50 ms",
      "p99 ms",
      "select ms",
      "samples",
      "rows read",
      "MB moved",
      "edgepulse/prom p50",
    ],
    rows.map((row) => {
      const prom = prometheusOf(row);
      const ours = row.target === "edgepulse";
      return [
        row.window,
        num(row.series),
        row.expr.length > 48 ? `${row.expr.slice(0, 47)}…` : row.expr,
        row.target,
        num(row.firstMs, 1),
        num(row.latencyMs.quantile(0.5), 1),
        num(row.latencyMs.quantile(0.99), 1),
        ours ? num(row.selectMs) : "-",
        ours ? num(row.samples) : "-",
        ours ? num(row.rowsRead) : "-",
        ours ? num(row.bytesMoved / 1e6, 2) : "-",
        ours && prom ? ratio(row.latencyMs.quantile(0.5), prom.latencyMs.quantile(0.5)) : "-",
      ];
    }),
    [
      "Both remote-written the same samples; GET query_range with the same parameters, sequential, after one warm-up (first ms).",
      `Rows without samples (${NO_SAMPLES}, ${NO_SERIES}, buildinfo, health) are timed ${FIXED_COST_REPEATS} times: a few ms each, their p50 of 3 is noise.`,
      `${RAW_WINDOW.name}: step ${RAW_WINDOW.stepSeconds} s, the raw log. ${ROLLUP_WINDOW.name}: step ${ROLLUP_WINDOW.stepSeconds} s, ${num(ROLLUP_SERIES)} series, 1-minute rollups.`,
      "edgepulse: through wrangler dev's local proxy, the Worker running the engine over 4 shards; sums, counts, topk pushed down to them.",
      "samples, rows read, MB moved, select ms (waiting for shards, which evaluate pushed-down aggregations): per query, from the answer's x-edgepulse-* headers.",
      "Targets (issue 19): at most 2x Prometheus's p50 in the raw window; faster than Prometheus for 24 h from rollups.",
    ],
  );
}

/** Writes `count` series over `window` into a fresh board and a fresh Prometheus, then times every expression. */
async function measure(
  context: BenchContext,
  count: number,
  window: Window,
  repeats: number,
): Promise<Row[]> {
  const rows: Row[] = [];
  const server = await startServer(context.stage, context.secret, { BOARD_SHARDS: "4" });
  let prometheus: RealPrometheus | undefined;
  const client = new HttpClient(server.origin, 4);
  try {
    prometheus = await startRealPrometheus();
    const board = `promql-${count}`;
    const iat = Math.floor(Date.now() / 1000);
    const gateway = await signToken(context.secret, { kind: "gateway", board, gateway: "prometheus", iat });
    const viewer = await mintToken(context.secret, "viewer", board);
    const end = Math.floor(Date.now() / STEP_MS) * STEP_MS - STEP_MS;
    const started = performance.now();
    for (const body of bodies(dataset(count, end, window.spanMs))) {
      await Promise.all([
        remoteWrite(`${prometheus.url}/api/v1/write`, body),
        remoteWrite(`${server.origin}/api/v1/write`, body, gateway),
      ]);
    }
    console.log(
      `  ${num(count)} series over ${window.name} written to both in ${num((performance.now() - started) / 1000, 1)} s`,
    );
    const promClient = new HttpClient(prometheus.url, 1);
    try {
      const auth: Record<string, string> = { authorization: `Bearer ${viewer}` };
      const probes = EXPRESSIONS.map((expr) => {
        const query = new URLSearchParams({
          query: expr,
          start: String((end - window.spanMs) / 1000),
          end: String(end / 1000),
          step: String(window.stepSeconds),
        });
        const path = `api/v1/query_range?${query}`;
        return {
          expr,
          ours: `/api/v1/boards/${board}/prometheus/${path}`,
          theirs: `/${path}`,
          headers: auth,
        };
      });
      const buildinfo = "api/v1/status/buildinfo";
      probes.push(
        {
          expr: BUILDINFO,
          ours: `/api/v1/boards/${board}/prometheus/${buildinfo}`,
          theirs: `/${buildinfo}`,
          headers: auth,
        },
        { expr: PROXY_FLOOR, ours: "/bench/health", theirs: "/-/healthy", headers: {} },
      );
      for (const { expr, ours: ourPath, theirs: theirPath, headers } of probes) {
        await awaitQuietMachine();
        const profile = context.profile
          ? new HotSpotRecorder(server, context.stage.dir, `${window.name} ${num(count)} series: ${expr}`)
          : undefined;
        const times = [NO_SAMPLES, NO_SERIES, BUILDINFO, PROXY_FLOOR].includes(expr)
          ? FIXED_COST_REPEATS
          : repeats;
        const ours = await timeQuery(client, ourPath, headers, times);
        await profile?.print();
        const theirs = await timeQuery(promClient, theirPath, {}, times);
        const shared = { window: window.name, series: count, expr };
        rows.push({
          ...shared,
          target: "edgepulse",
          latencyMs: ours.latencyMs,
          firstMs: ours.firstMs,
          rowsRead: ours.cost["rows-read"]!,
          bytesMoved: ours.cost["bytes-moved"]!,
          samples: ours.cost.samples!,
          selectMs: ours.cost["select-ms"]!,
        });
        rows.push({
          ...shared,
          target: "prometheus",
          latencyMs: theirs.latencyMs,
          firstMs: theirs.firstMs,
          rowsRead: 0,
          bytesMoved: 0,
          samples: 0,
          selectMs: 0,
        });
      }
    } finally {
      promClient.close();
    }
  } finally {
    client.close();
    await Promise.all([server.stop(), prometheus?.stop()]);
  }
  return rows;
}

/**
 * query_range latency of a board's Prometheus API against the real Prometheus, same samples, same run: the raw
 * window with 1,000 series (and 10,000 without --quick), and 24 h from rollups.
 */
export async function promqlScenario(context: BenchContext): Promise<void> {
  const sizes = context.quick ? [1_000] : [1_000, 10_000];
  const repeats = context.quick ? 3 : 10;
  const rows: Row[] = [];
  for (const count of sizes) rows.push(...(await measure(context, count, RAW_WINDOW, repeats)));
  rows.push(...(await measure(context, ROLLUP_SERIES, ROLLUP_WINDOW, repeats)));
  report(rows);
}
