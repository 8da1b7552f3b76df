import { RESOLUTIONS } from "../../worker/shard/resolutions.ts";
import { type BillItem, monthlyBill, PRICES, SECONDS_PER_MONTH, totalUsd, type Usage } from "../lib/bill.ts";
import { measureCpu } from "../lib/cpu.ts";
import { HttpClient } from "../lib/http.ts";
import { runPaced } from "../lib/paced.ts";
import { ingestBody, makePoints } from "../lib/points.ts";
import { awaitQuietMachine } from "../lib/quiet.ts";
import { type DevServer, startServer } from "../lib/server.ts";
import { num, printTable, ratio, verdict } from "../lib/table.ts";
import { Ingestor, type StoreStats, statsDelta } from "../lib/targets.ts";
import type { BenchContext } from "./context.ts";

/**
 * A fleet of devices posting all their metrics every `intervalMs`, on one board of `shards` ingest shards (each
 * holds at most 5,000 series; a quarter is left for the hash's imbalance). One shard's share is measured.
 */
interface Fleet {
  name: string;
  shards: number;
  devicesPerShard: number;
  metrics: number;
  intervalMs: number;
}

/** The cost issue's reference load first; then the README's larger fleets, one shard of each measured. */
const FLEETS: Fleet[] = [
  { name: "20 devices x 10 metrics, 1 s", shards: 1, devicesPerShard: 20, metrics: 10, intervalMs: 1000 },
  { name: "1,000 x 10, 10 s", shards: 3, devicesPerShard: 334, metrics: 10, intervalMs: 10_000 },
  { name: "10,000 x 5, 60 s", shards: 14, devicesPerShard: 715, metrics: 5, intervalMs: 60_000 },
];
const REFERENCE = FLEETS[0]!;
const TARGET_ROWS_PER_REQUEST = 1.25;
/** Raw batches expire after 30 s here (1 h by default), so the measured window includes the log's reuse of rows. */
const RAW_RETENTION_MS = 30_000;

/** Bytes a stored rollup bucket takes (see worker/shard/segment.ts), and a log row beyond its points. */
const BUCKET_BYTES = 57;
const LOG_ROW_BYTES = 60;
const DEFAULT_RAW_RETENTION_S = 3600;

/**
 * Storage a shard of this fleet holds in steady state, in GB: an hour of raw log, and each resolution's buckets
 * over its retention, one bucket per post at most.
 */
function steadyStateGb(fleet: Fleet): number {
  const interval = fleet.intervalMs / 1000;
  const series = fleet.devicesPerShard * fleet.metrics;
  const buckets = RESOLUTIONS.reduce(
    (sum, { ms, retentionMs }) => sum + retentionMs / 1000 / Math.max(ms / 1000, interval),
    0,
  );
  const requestsPerSecond = fleet.devicesPerShard / interval;
  const raw = requestsPerSecond * DEFAULT_RAW_RETENTION_S * (fleet.metrics * 20 + LOG_ROW_BYTES);
  return (series * buckets * BUCKET_BYTES + raw) / 1e9;
}

interface Run {
  fleet: Fleet;
  target: "real" | "naive-store";
  seconds: number;
  delta: ReturnType<typeof statsDelta>;
  /** App CPU (Worker and objects) over the window, in ms per second. */
  cpuMsPerSecond: number;
  failed: number;
}

/** One board of `fleet` for warm-up plus a measured window; counters from the store's stats. */
async function measure(
  context: BenchContext,
  server: DevServer,
  ingestor: Ingestor,
  fleet: Fleet,
  target: Run["target"],
): Promise<Run> {
  const board = `steady-${target}-${fleet.intervalMs}`;
  // Every device posts twice before measuring starts: creating series, and presence learning each device's
  // interval (until then a device posting every minute times out between posts), stay out of the window.
  const warmupMs = context.quick ? Math.min(5_000, fleet.intervalMs) : 5_000 + 2 * fleet.intervalMs;
  const windowMs = context.quick ? 10_000 : Math.max(60_000, 2 * fleet.intervalMs);
  const requestsPerSecond = (fleet.devicesPerShard * 1000) / fleet.intervalMs;
  let atStart: Promise<StoreStats> | undefined;
  let endCpu: (() => { app: number }) | undefined;
  await awaitQuietMachine();
  const startTimer = setTimeout(() => {
    atStart = ingestor.stats(target, board);
    endCpu = measureCpu(server);
  }, warmupMs);
  const result = await runPaced(
    {
      requestsPerSecond,
      pointsPerRequest: fleet.metrics,
      durationMs: warmupMs + windowMs,
      maxInFlight: 64,
      settleMs: 5_000,
    },
    (i) => {
      const body = ingestBody(makePoints(fleet.metrics, () => Date.now()));
      return ingestor.post(target, board, `device-${i % fleet.devicesPerShard}`, body, fleet.metrics);
    },
  );
  clearTimeout(startTimer);
  const cpu = endCpu!();
  const delta = statsDelta(await atStart!, await ingestor.stats(target, board));
  const seconds = windowMs / 1000;
  return { fleet, target, seconds, delta, cpuMsPerSecond: cpu.app * 10, failed: result.failed };
}

/** Monthly usage of a whole fleet from one measured board. */
function fleetUsage(run: Run): Usage {
  const { fleet, delta, seconds } = run;
  const perFleet = (count: number) => (count / seconds) * fleet.shards;
  return {
    workerRequests: perFleet(delta.requests),
    // Worker and object CPU run in one process here: all of it is counted as Worker CPU (an upper bound) and as
    // the object's billed duration (a lower bound: without viewers the object holds no timer, so it is billed only
    // while it handles requests).
    workerCpuMs: run.cpuMsPerSecond * fleet.shards,
    objectRequests: perFleet(delta.requests),
    objectActiveSeconds: (run.cpuMsPerSecond / 1000) * fleet.shards,
    rowsRead: perFleet(delta.rowsRead),
    rowsWritten: perFleet(delta.rowsWritten),
    storedGb: steadyStateGb(fleet) * fleet.shards,
  };
}

const usd = (value: number) => `$${num(value, value < 10 ? 2 : 0)}`;

function reportReference(real: Run, naive: Run): void {
  const row = (run: Run) => {
    const { delta, seconds } = run;
    const bill = monthlyBill(fleetUsage(run));
    return [
      run.target,
      num(delta.requests / seconds, 1),
      num(delta.rowsWritten / seconds, 1),
      num(delta.rowsWritten / delta.requests, 3),
      num(delta.rowsWritten / delta.points, 3),
      num(delta.rowsRead / seconds, 1),
      `${num(bill.rowsWritten.quantity / 1e6, 1)} M`,
      usd(bill.rowsWritten.usd),
      usd(totalUsd(bill)),
      num(run.failed),
    ];
  };
  const realTotal = totalUsd(monthlyBill(fleetUsage(real)));
  const naiveTotal = totalUsd(monthlyBill(fleetUsage(naive)));
  const rows = (run: Run) => run.delta.rowsWritten / run.delta.requests;
  printTable(
    `Steady reference load: ${REFERENCE.name} (${REFERENCE.devicesPerShard * REFERENCE.metrics} series), ${num(real.seconds)} s measured`,
    [
      "target",
      "req/s",
      "rows/s",
      "rows/req",
      "rows/pt",
      "read/s",
      "rows/month",
      "rows $/mo",
      "total $/mo",
    ].concat("failed"),
    [row(real), row(naive)],
    [
      "Rows: SQLite rows written (every cursor's rowsWritten, plus setAlarm) over the window, from each store's stats.",
      `Raw batches expire after ${RAW_RETENTION_MS / 1000} s in this run, so the window includes the log's reuse of`,
      "  expired rows. naive-store: one INSERT per point plus its index entry, never deleted.",
      `Month = ${num(SECONDS_PER_MONTH)} s; $ at the published prices, one account running only this board,`,
      "  included amounts applied (see the fleet table for every item).",
      `naive-store / real: rows ${ratio(rows(naive), rows(real), 1)}, bill ${ratio(naiveTotal, realTotal, 1)}`,
    ],
  );
  const perRequest = rows(real);
  console.log(
    `  Target at the reference load: rows/req <= ${TARGET_ROWS_PER_REQUEST}: ${num(perRequest, 3)} ${verdict(perRequest <= TARGET_ROWS_PER_REQUEST)}`,
  );
}

function reportFleets(runs: Run[]): void {
  const items = Object.keys(PRICES) as BillItem[];
  printTable(
    "What it costs: fleets on edgepulse, $ per month (one board each: one shard measured, times its shards)",
    ["fleet", "shards", "req/s", "rows/req"].concat(items, "total"),
    runs.map((run) => {
      const usage = fleetUsage(run);
      const bill = monthlyBill(usage);
      return [
        run.fleet.name,
        num(run.fleet.shards),
        num(usage.workerRequests, 1),
        num(run.delta.rowsWritten / run.delta.requests, 3),
        ...items.map((item) => usd(bill[item].usd)),
        usd(totalUsd(bill)),
      ];
    }),
    [
      "A shard holds at most 5,000 series. storedGb: the steady-state size from the storage formula (an hour of raw",
      "  log, 57 B per rollup bucket), not measured. objectGbSeconds: app CPU time as active time (bench/lib/bill.ts).",
    ],
  );
}

/** The cost issue's reference load against the naive store, then the README's fleets: rows, requests and $. */
export async function steadyScenario(context: BenchContext): Promise<void> {
  const server = await startServer(context.stage, context.secret, {
    RAW_RETENTION_MS: String(RAW_RETENTION_MS),
  });
  const client = new HttpClient(server.origin, 64);
  const ingestor = new Ingestor(client, context.secret);
  const runs: Run[] = [];
  try {
    for (const fleet of FLEETS) {
      runs.push(await measure(context, server, ingestor, fleet, "real"));
      console.log(
        `  steady ${fleet.name}: ${num(runs.at(-1)!.delta.rowsWritten)} rows written in the window`,
      );
    }
    const naive = await measure(context, server, ingestor, REFERENCE, "naive-store");
    reportReference(runs[0]!, naive);
    reportFleets(runs);
  } finally {
    client.close();
    await server.stop();
  }
}
