import { type ClosedLoopResult, runClosedLoop } from "../lib/closed-loop.ts";
import { type CpuPercent, measureCpu } from "../lib/cpu.ts";
import { HotSpotRecorder } from "../lib/hot-spots.ts";
import { HttpClient } from "../lib/http.ts";
import { ingestBody, METRICS_PER_DEVICE, makePoints } from "../lib/points.ts";
import { awaitQuietMachine } from "../lib/quiet.ts";
import { type DevServer, startServer } from "../lib/server.ts";
import { num, printTable, ratio, verdict } from "../lib/table.ts";
import { Ingestor, type StoreStats, statsDelta } from "../lib/targets.ts";
import type { BenchContext } from "./context.ts";

const BATCH_SIZES = [1, 100, 1000];
/** The batch size the targets are about. */
const LARGEST_BATCH = Math.max(...BATCH_SIZES);
const TARGETS = ["real", "bare", "naive-store"] as const;
type IngestTarget = (typeof TARGETS)[number];
/** Two cores run workerd, wrangler and this client: 8 requests in flight keep the server busy without thrashing. */
const CONCURRENCY = 8;
const DEVICES = 4;
/** Distinct bodies cycled per batch size, so no two consecutive requests are identical. */
const BODY_VARIANTS = 8;
const TARGET_RATIO_TO_BARE = 0.7;
const TARGET_ROWS_PER_REQUEST = 1.1;

interface Measurement {
  size: number;
  target: IngestTarget;
  result: ClosedLoopResult;
  cpu: CpuPercent;
  /** SQLite rows written (alarms included) per request and per point accepted in the window, from stats. */
  rowsPerRequest: number;
  rowsPerPoint: number;
}

/** Bodies of `size` points: whole samples of the 50 metrics, one second apart, the last one now. */
function bodies(size: number): Buffer[] {
  const samples = Math.ceil(size / METRICS_PER_DEVICE);
  const now = Date.now();
  return Array.from({ length: BODY_VARIANTS }, () =>
    ingestBody(makePoints(size, (k) => now - (samples - 1 - k) * 1000)),
  );
}

async function measure(
  context: BenchContext,
  server: DevServer,
  ingestor: Ingestor,
  target: IngestTarget,
  size: number,
): Promise<Measurement> {
  const board = `ingest-${target}-${size}`;
  const variants = bodies(size);
  let sent = 0;
  let endCpu: (() => CpuPercent) | undefined;
  let cpu: CpuPercent | undefined;
  let profile: HotSpotRecorder | undefined;
  const profiled = context.profile && target === "real" && size === LARGEST_BATCH;
  let statsAtStart: Promise<StoreStats> | undefined;
  let statsAtEnd: Promise<StoreStats> | undefined;
  await awaitQuietMachine();
  const result = await runClosedLoop(
    {
      concurrency: CONCURRENCY,
      warmupMs: context.quick ? 500 : 2000,
      durationMs: context.quick ? 2000 : 8000,
      onWindow: (edge) => {
        if (edge === "start") {
          statsAtStart = ingestor.stats(target, board);
          endCpu = measureCpu(server);
          if (profiled)
            profile = new HotSpotRecorder(server, context.stage.dir, `ingest real x ${size} points`);
        } else {
          cpu = endCpu?.();
          statsAtEnd = ingestor.stats(target, board);
        }
      },
    },
    (slot) => ingestor.post(target, board, `host-${slot % DEVICES}`, variants[sent++ % BODY_VARIANTS]!, size),
  );
  const rows = statsDelta(await statsAtStart!, await statsAtEnd!);
  await profile?.print();
  return {
    size,
    target,
    result,
    cpu: cpu!,
    rowsPerRequest: rows.rowsWritten / rows.requests,
    rowsPerPoint: rows.rowsWritten / rows.points,
  };
}

/** App CPU time per accepted point, in µs: unlike throughput, barely moved by other load on the machine. */
function appMicros(m: Measurement): number {
  return ((m.cpu.app / 100) * m.result.seconds * 1e6) / m.result.points;
}

function row(m: Measurement, bare: Measurement | undefined): string[] {
  const { result, cpu } = m;
  const pointsPerSecond = result.points / result.seconds;
  const appMicrosPerPoint = appMicros(m);
  return [
    `${num(m.size)} pts`,
    m.target,
    num(pointsPerSecond),
    num(result.requests / result.seconds),
    num(result.latencyMs.quantile(0.5), 1),
    num(result.latencyMs.quantile(0.99), 1),
    num(m.rowsPerRequest, m.rowsPerRequest < 10 ? 3 : 0),
    num(m.rowsPerPoint, 4),
    num(result.failed),
    num(cpu.app),
    num(cpu.proxy),
    num(cpu.client),
    num(cpu.other),
    num(appMicrosPerPoint, 2),
    bare ? ratio(pointsPerSecond, bare.result.points / bare.result.seconds) : "-",
    bare ? ratio(appMicrosPerPoint, appMicros(bare)) : "-",
  ];
}

function report(measurements: Measurement[]): void {
  const bareOf = (size: number) => measurements.find((m) => m.size === size && m.target === "bare");
  printTable(
    `Ingest: closed loop, ${CONCURRENCY} requests in flight, ${DEVICES} devices x 50 metrics, one board per run`,
    ["batch", "target", "points/s", "req/s", "p50 ms", "p99 ms", "rows/req", "rows/pt", "failed"].concat([
      "app CPU%",
      "proxy CPU%",
      "client CPU%",
      "other CPU%",
      "app us/pt",
      "vs bare",
      "us/pt vs bare",
    ]),
    measurements.map((m) => row(m, bareOf(m.size))),
    [
      "points/s, req/s, latency: requests answered 202 inside the measured window (after warm-up).",
      "CPU% of one core (2 cores = 200%): app = workerd running the Worker and objects; proxy = wrangler's local",
      "  proxy workerd; client = this benchmark; other = the rest of the machine (noise). app us/pt = app CPU",
      "  time per accepted point. vs bare: points/s ratio; us/pt vs bare: CPU cost ratio (robust to noise).",
      "rows/req, rows/pt: SQLite rows written over the window (every cursor's rowsWritten, plus setAlarm calls),",
      "  read from each store's stats before and after it, per request and point it accepted meanwhile.",
      "  real: 1 log row per request + a row per rollup chunk touched and the checkpoint row, per checkpoint.",
      "  naive-store: 1 row + 1 ts-index entry per point.",
    ],
  );
  const real = measurements.find((m) => m.target === "real" && m.size === LARGEST_BATCH);
  const bare = bareOf(LARGEST_BATCH);
  if (!real || !bare) return;
  const realRate = real.result.points / real.result.seconds;
  const share = realRate / (bare.result.points / bare.result.seconds);
  console.log(
    `  Targets at ${num(LARGEST_BATCH)}-point batches (${num(realRate)} pts/s): ` +
      `real/bare >= ${TARGET_RATIO_TO_BARE}: ${num(share, 2)} ${verdict(share >= TARGET_RATIO_TO_BARE)}; ` +
      `rows/req <= ${TARGET_ROWS_PER_REQUEST}: ${num(real.rowsPerRequest, 3)} ${verdict(real.rowsPerRequest <= TARGET_ROWS_PER_REQUEST)}`,
  );
}

/** Ingest throughput of the real app against the bare and naive-store baselines, per batch size. */
export async function ingestScenario(context: BenchContext): Promise<void> {
  const server = await startServer(context.stage, context.secret);
  const client = new HttpClient(server.origin, CONCURRENCY);
  const measurements: Measurement[] = [];
  try {
    const ingestor = new Ingestor(client, context.secret);
    for (const size of BATCH_SIZES) {
      for (const target of TARGETS) {
        const m = await measure(context, server, ingestor, target, size);
        const statuses = [...m.result.statuses].map(([status, n]) => `${n} x ${status || "network error"}`);
        console.log(
          `  ingest ${target} x ${size}: ${num(m.result.points / m.result.seconds)} pts/s (${statuses.join(", ")})`,
        );
        measurements.push(m);
      }
    }
  } finally {
    client.close();
    await server.stop();
  }
  report(measurements);
}
