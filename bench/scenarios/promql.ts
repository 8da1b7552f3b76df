import { type RealPrometheus, remoteWrite, startRealPrometheus } from "../../scripts/real-prometheus.ts";
import { remoteWriteBody, type WrittenSeries } from "../../scripts/remote-write-body.ts";
import { signToken } from "../../worker/auth/tokens.ts";
import { Histogram } from "../lib/histogram.ts";
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
const EXPRESSIONS = [
  "sum by (job) (rate(http_requests_total[5m]))",
  "histogram_quantile(0.99, sum by (le) (rate(rpc_duration_seconds_bucket[5m])))",
  "topk(5, rate(http_requests_total[5m]))",
  "vector(1)",
  "sum(rpc_duration_seconds_bucket)",
];

interface Row {
  series: number;
  expr: string;
  target: "edgepulse" | "prometheus";
  latencyMs: Histogram;
  rowsRead: number;
  bytesMoved: number;
  samples: number;
  selectMs: number;
}

/** `count` series over the last hour at 15 s: counters by job, code and instance, and a classic histogram per job. */
export function dataset(count: number, end: number): WrittenSeries[] {
  const times = Array.from({ length: HOUR / STEP_MS + 1 }, (_, i) => end - HOUR + i * STEP_MS);
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

/** Remote-write bodies of at most SAMPLES_PER_REQUEST samples, whole series each. */
export function bodies(series: WrittenSeries[]): Array<Uint8Array<ArrayBuffer>> {
  const out: Array<Uint8Array<ArrayBuffer>> = [];
  let batch: WrittenSeries[] = [];
  let size = 0;
  for (const s of series) {
    if (size + s.samples.length > SAMPLES_PER_REQUEST && batch.length > 0) {
      out.push(remoteWriteBody(batch));
      batch = [];
      size = 0;
    }
    batch.push(s);
    size += s.samples.length;
  }
  if (batch.length > 0) out.push(remoteWriteBody(batch));
  return out;
}

async function timeQuery(
  client: HttpClient,
  path: string,
  headers: Record<string, string>,
  repeats: number,
): Promise<{ latencyMs: Histogram; cost: Record<string, number> }> {
  const latencyMs = new Histogram();
  const cost: Record<string, number> = {};
  for (let i = -1; i < repeats; i++) {
    const started = performance.now();
    const response = await client.send("GET", path, headers);
    if (response.status !== 200)
      throw new Error(`GET ${path}: ${response.status} ${response.body.slice(0, 300)}`);
    if (i < 0) continue;
    latencyMs.record(performance.now() - started);
    for (const name of ["rows-read", "bytes-moved", "samples", "select-ms"])
      cost[name] = Number(response.headers[`x-edgepulse-${name}`] ?? Number.NaN);
  }
  return { latencyMs, cost };
}

function report(rows: Row[]): void {
  const prometheusOf = (row: Row) =>
    rows.find((r) => r.series === row.series && r.expr === row.expr && r.target === "prometheus");
  printTable(
    "PromQL query_range: 1 h at 15 s (241 points per series), edgepulse vs Debian's Prometheus 2.42 on the same samples",
    [
      "series",
      "expression",
      "target",
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
        num(row.series),
        row.expr.length > 48 ? `${row.expr.slice(0, 47)}…` : row.expr,
        row.target,
        num(row.latencyMs.quantile(0.5), 1),
        num(row.latencyMs.quantile(0.99), 1),
        ours ? num(row.selectMs) : "-",
        ours ? num(row.samples) : "-",
        ours ? num(row.rowsRead) : "-",
        ours ? num(row.bytesMoved / 1e6, 1) : "-",
        ours && prom ? ratio(row.latencyMs.quantile(0.5), prom.latencyMs.quantile(0.5)) : "-",
      ];
    }),
    [
      "Both remote-written the same samples; GET query_range with the same parameters, sequential, after one warm-up.",
      "edgepulse: through wrangler dev's local proxy, the Worker running the engine over 4 shards (raw window).",
      "samples, rows read, MB moved, select ms (waiting for shards; the rest is the engine): per query, from the answer's x-edgepulse-* headers.",
      "Target (issue 19): edgepulse at most 2x Prometheus's p50 in the raw window.",
    ],
  );
}

/** query_range latency of a board's Prometheus API against the real Prometheus, same samples, same run. */
export async function promqlScenario(context: BenchContext): Promise<void> {
  const sizes = context.quick ? [1_000] : [1_000, 10_000];
  const repeats = context.quick ? 3 : 10;
  const rows: Row[] = [];
  for (const count of sizes) {
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
      for (const body of bodies(dataset(count, end))) {
        await Promise.all([
          remoteWrite(`${prometheus.url}/api/v1/write`, body),
          remoteWrite(`${server.origin}/api/v1/write`, body, gateway),
        ]);
      }
      console.log(
        `  ${num(count)} series written to both in ${num((performance.now() - started) / 1000, 1)} s`,
      );
      const promClient = new HttpClient(prometheus.url, 1);
      try {
        for (const expr of EXPRESSIONS) {
          const query = new URLSearchParams({
            query: expr,
            start: String((end - HOUR) / 1000),
            end: String(end / 1000),
            step: "15",
          });
          await awaitQuietMachine();
          const ours = await timeQuery(
            client,
            `/api/v1/boards/${board}/prometheus/api/v1/query_range?${query}`,
            { authorization: `Bearer ${viewer}` },
            repeats,
          );
          const theirs = await timeQuery(promClient, `/api/v1/query_range?${query}`, {}, repeats);
          rows.push({
            series: count,
            expr,
            target: "edgepulse",
            latencyMs: ours.latencyMs,
            rowsRead: ours.cost["rows-read"]!,
            bytesMoved: ours.cost["bytes-moved"]!,
            samples: ours.cost.samples!,
            selectMs: ours.cost["select-ms"]!,
          });
          rows.push({
            series: count,
            expr,
            target: "prometheus",
            latencyMs: theirs.latencyMs,
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
  }
  report(rows);
}
