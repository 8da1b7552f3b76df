import { Histogram } from "../lib/histogram.ts";
import { HttpClient as Client, type HttpClient } from "../lib/http.ts";
import { ingestBody, METRICS_PER_DEVICE, makePoints } from "../lib/points.ts";
import { awaitQuietMachine } from "../lib/quiet.ts";
import { startServer } from "../lib/server.ts";
import { num, printTable, ratio } from "../lib/table.ts";
import { Ingestor, type TargetName } from "../lib/targets.ts";
import { mintToken } from "../lib/tokens.ts";
import type { BenchContext } from "./context.ts";

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
/** History the boards are seeded with: one sample of every metric every 10 s, as far back as ingest allows. */
const SEED_SPAN_MS = 7 * DAY - 10 * MINUTE;
const SAMPLE_EVERY_MS = 10_000;
const SAMPLES_PER_BATCH = 20;
const RANGES: ReadonlyArray<readonly [name: string, ms: number]> = [
  ["1h", HOUR],
  ["24h", DAY],
  ["7d", 7 * DAY - 20 * MINUTE],
];
/** A dashboard asks for about this many buckets per series. */
const BUCKETS = 500;
const DEVICE = "host-0";

interface QueryTiming {
  range: string;
  target: TargetName;
  latencyMs: Histogram;
  bytes: number;
  buckets: number;
  /** SQLite rows one query read, from the store's stats. */
  rowsRead: number;
}

/** Seeds a board with SEED_SPAN_MS of one-a-minute samples of the 50 metrics, in 1,000-point batches. */
async function seed(ingestor: Ingestor, target: TargetName, board: string, now: number): Promise<number> {
  const samples = Math.floor(SEED_SPAN_MS / SAMPLE_EVERY_MS);
  const first = now - samples * SAMPLE_EVERY_MS;
  let points = 0;
  for (let start = 0; start < samples; start += SAMPLES_PER_BATCH) {
    const count = Math.min(SAMPLES_PER_BATCH, samples - start) * METRICS_PER_DEVICE;
    const body = ingestBody(makePoints(count, (k) => first + (start + k) * SAMPLE_EVERY_MS));
    const outcome = await ingestor.post(target, board, DEVICE, body, count);
    if (!outcome.ok) throw new Error(`seeding ${target} failed with ${outcome.status}`);
    points += count;
  }
  return points;
}

/** The query a dashboard makes to show every series of the board over `rangeMs`. */
async function queryPath(target: TargetName, board: string, rangeMs: number, now: number): Promise<string> {
  const step = Math.ceil(rangeMs / BUCKETS);
  if (target === "naive-store")
    return `/bench/naive/${board}/query?from=${now - rangeMs}&to=${now}&step=${step}`;
  const series = makePoints(METRICS_PER_DEVICE, () => 0)
    .map((p) => `${DEVICE}:${p.metric}`)
    .join(",");
  return `/api/v1/boards/${board}/query?series=${encodeURIComponent(series)}&from=-${rangeMs}ms&step=${step}`;
}

async function time(
  client: HttpClient,
  path: string,
  headers: Record<string, string>,
  repeats: number,
): Promise<{ latencyMs: Histogram; bytes: number; buckets: number }> {
  const latencyMs = new Histogram();
  let last = { bytes: 0, body: "" };
  for (let i = -2; i < repeats; i++) {
    const started = performance.now();
    const response = await client.send("GET", path, headers);
    if (response.status !== 200) throw new Error(`GET ${path} answered ${response.status}: ${response.body}`);
    if (i >= 0) latencyMs.record(performance.now() - started);
    last = response;
  }
  const answer = JSON.parse(last.body) as { series?: Array<{ ts: unknown[] }> } | unknown[];
  const buckets = Array.isArray(answer)
    ? answer.length
    : (answer.series ?? []).reduce((sum, series) => sum + series.ts.length, 0);
  return { latencyMs, bytes: last.bytes, buckets };
}

function report(timings: QueryTiming[], seeded: number): void {
  const naiveOf = (range: string) => timings.find((t) => t.range === range && t.target === "naive-store");
  printTable(
    `History queries: 50 series, ${num(seeded)} points over 7 days (one per series every 10 s); about ${BUCKETS} buckets per series`,
    ["range", "target", "p50 ms", "p99 ms", "buckets", "answer KB", "rows read", "naive/real p50"],
    timings.map((t) => {
      const naive = naiveOf(t.range);
      return [
        t.range,
        t.target,
        num(t.latencyMs.quantile(0.5), 1),
        num(t.latencyMs.quantile(0.99), 1),
        num(t.buckets),
        num(t.bytes / 1024, 1),
        num(t.rowsRead),
        t.target === "real" && naive ? ratio(naive.latencyMs.quantile(0.5), t.latencyMs.quantile(0.5)) : "-",
      ];
    }),
    [
      "real: GET /api/v1/boards/:board/query naming all 50 series; it reads the coarsest rollup that fits the step.",
      "naive-store: one row per point, aggregated with GROUP BY at query time over the same points.",
      "rows read: SQLite rows one query read (stats before and after the timed requests, per request).",
      "Sequential requests after two warm-ups, through wrangler's local proxy.",
    ],
  );
}

/** History query latency of the real app (rollups) against a naive store (raw rows, aggregated per query). */
export async function queryScenario(context: BenchContext): Promise<void> {
  const server = await startServer(context.stage, context.secret);
  const client = new Client(server.origin, 1);
  const timings: QueryTiming[] = [];
  const repeats = context.quick ? 5 : 20;
  let seeded = 0;
  try {
    const ingestor = new Ingestor(client, context.secret);
    const now = Date.now();
    const boards: Record<string, string> = { real: "query-real", "naive-store": "query-naive" };
    for (const target of ["real", "naive-store"] as const) {
      const started = performance.now();
      seeded = await seed(ingestor, target, boards[target]!, now);
      console.log(
        `  seeded ${target}: ${num(seeded)} points in ${num((performance.now() - started) / 1000, 1)} s`,
      );
    }
    const viewer = await mintToken(context.secret, "viewer", boards.real!);
    for (const [range, rangeMs] of RANGES) {
      for (const target of ["real", "naive-store"] as const) {
        await awaitQuietMachine();
        const headers: Record<string, string> =
          target === "real" ? { authorization: `Bearer ${viewer}` } : {};
        const path = await queryPath(target, boards[target]!, rangeMs, Date.now());
        const before = await ingestor.stats(target, boards[target]!);
        const timing = await time(client, path, headers, repeats);
        const read = (await ingestor.stats(target, boards[target]!)).rowsRead - before.rowsRead;
        // time() sends two warm-ups before the timed repeats.
        timings.push({ range, target, ...timing, rowsRead: read / (repeats + 2) });
      }
    }
  } finally {
    client.close();
    await server.stop();
  }
  report(timings, seeded);
}
