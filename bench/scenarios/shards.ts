import { setTimeout as sleep } from "node:timers/promises";
import { type ClosedLoopResult, runClosedLoop } from "../lib/closed-loop.ts";
import { type CpuPercent, measureCpu } from "../lib/cpu.ts";
import { HttpClient } from "../lib/http.ts";
import { ingestBody, makePoints } from "../lib/points.ts";
import { awaitQuietMachine } from "../lib/quiet.ts";
import { startServer } from "../lib/server.ts";
import { num, printTable, ratio } from "../lib/table.ts";
import { Ingestor, type StoreStats, statsDelta } from "../lib/targets.ts";
import { mintToken } from "../lib/tokens.ts";
import { ViewerPool } from "../live/viewer-pool.ts";
import type { BenchContext } from "./context.ts";

/** Many devices, so a layout's shards all get some: each posts 100-point batches (two samples of 50 metrics). */
const DEVICES = 64;
const POINTS_PER_REQUEST = 100;
const CONCURRENCY = 8;
const BODY_VARIANTS = 8;

interface Layout {
  shards: number;
  /** Viewers watching every series, so shards push to the hub and the hub fans out. */
  viewers: number;
}

const LAYOUTS: Layout[] = [
  { shards: 1, viewers: 0 },
  { shards: 2, viewers: 0 },
  { shards: 4, viewers: 0 },
  { shards: 1, viewers: 20 },
  { shards: 4, viewers: 20 },
];

interface Measurement {
  layout: Layout;
  result: ClosedLoopResult;
  cpu: CpuPercent;
  rowsPerRequest: number;
  /** Requests each shard took in the window, fewest to most. */
  spread: number[];
  /** Points the viewers received per point accepted (1 when every viewer got everything). */
  delivered: number | null;
}

interface BoardStatsPart extends StoreStats {
  perShard: number[];
}

async function readStats(
  ingestor: Ingestor,
  client: HttpClient,
  board: string,
  token: string,
): Promise<BoardStatsPart> {
  const stats = await ingestor.stats("real", board);
  const response = await client.send("GET", `/api/v1/boards/${board}/stats`, {
    authorization: `Bearer ${token}`,
  });
  const { positions } = JSON.parse(response.body) as { positions: Array<{ seq: number }> };
  return { ...stats, perShard: positions.map((position) => position.seq) };
}

async function measure(context: BenchContext, layout: Layout): Promise<Measurement> {
  const server = await startServer(context.stage, context.secret, { BOARD_SHARDS: String(layout.shards) });
  const client = new HttpClient(server.origin, CONCURRENCY + 2);
  const ingestor = new Ingestor(client, context.secret);
  const board = `shards-${layout.shards}-${layout.viewers}`;
  const token = await mintToken(context.secret, "viewer", board);
  const bodies = Array.from({ length: BODY_VARIANTS }, () =>
    ingestBody(makePoints(POINTS_PER_REQUEST, (k) => Date.now() - (1 - k) * 1000)),
  );
  let sent = 0;
  const post = (device: number) =>
    ingestor.post("real", board, `dev-${device}`, bodies[sent++ % BODY_VARIANTS]!, POINTS_PER_REQUEST);
  let pool: ViewerPool | undefined;
  try {
    // Every device's series exist before measuring, and so do the viewers' greetings.
    for (let device = 0; device < DEVICES; device++) await post(device);
    if (layout.viewers > 0) {
      pool = await ViewerPool.open({ kind: "hub", origin: server.origin, board, token }, layout.viewers, 2);
    }
    await awaitQuietMachine();
    let endCpu: (() => CpuPercent) | undefined;
    let cpu: CpuPercent | undefined;
    let before: Promise<BoardStatsPart> | undefined;
    let after: Promise<BoardStatsPart> | undefined;
    const warmupMs = context.quick ? 500 : 2000;
    const durationMs = context.quick ? 3000 : 8000;
    pool?.start(Date.now() + warmupMs);
    const result = await runClosedLoop(
      {
        concurrency: CONCURRENCY,
        warmupMs,
        durationMs,
        onWindow: (edge) => {
          if (edge === "start") {
            before = readStats(ingestor, client, board, token);
            endCpu = measureCpu(server);
          } else {
            cpu = endCpu?.();
            after = readStats(ingestor, client, board, token);
          }
        },
      },
      (slot) => post((slot * 7919 + sent) % DEVICES),
    );
    const [start, end] = [await before!, await after!];
    const rows = statsDelta(start, end);
    let delivered: number | null = null;
    if (pool) {
      // Viewers count from the window's start to now: compare with what the board accepted over the same span.
      await sleep(1000);
      const drained = await readStats(ingestor, client, board, token);
      const received = await pool.stop();
      pool = undefined;
      const points = received.tallies.reduce((sum, tally) => sum + tally.points, 0);
      delivered = points / layout.viewers / Math.max(1, drained.points - start.points);
    }
    return {
      layout,
      result,
      cpu: cpu!,
      rowsPerRequest: rows.rowsWritten / rows.requests,
      spread: end.perShard.map((seq, i) => seq - (start.perShard[i] ?? 0)).sort((a, b) => a - b),
      delivered,
    };
  } finally {
    await pool?.stop();
    client.close();
    await server.stop();
  }
}

function appMicros(m: Measurement): number {
  return ((m.cpu.app / 100) * m.result.seconds * 1e6) / m.result.points;
}

/**
 * One board over 1, 2 and 4 ingest shards, with and without viewers. On two cores every shard runs in the same
 * workerd, so this shows what sharding costs and how evenly it spreads, not a speed-up (that needs more machines).
 */
export async function shardsScenario(context: BenchContext): Promise<void> {
  const measurements: Measurement[] = [];
  for (const layout of LAYOUTS) {
    const m = await measure(context, layout);
    console.log(
      `  shards ${layout.shards} x ${layout.viewers} viewers: ${num(m.result.requests / m.result.seconds)} req/s, ` +
        `spread ${m.spread.join("/")}, ${num(m.result.failed)} failed`,
    );
    measurements.push(m);
  }
  const baseline = (viewers: number) =>
    measurements.find((m) => m.layout.shards === 1 && m.layout.viewers === viewers);
  printTable(
    `Shards: closed loop, ${CONCURRENCY} requests in flight, ${DEVICES} devices x ${POINTS_PER_REQUEST}-point batches, one board`,
    [
      "shards",
      "viewers",
      "req/s",
      "points/s",
      "p50 ms",
      "p99 ms",
      "app us/pt",
      "us/pt vs 1",
      "rows/req",
      "per shard",
      "delivered",
    ],
    measurements.map((m) => {
      const one = baseline(m.layout.viewers);
      return [
        String(m.layout.shards),
        String(m.layout.viewers),
        num(m.result.requests / m.result.seconds),
        num(m.result.points / m.result.seconds),
        num(m.result.latencyMs.quantile(0.5), 1),
        num(m.result.latencyMs.quantile(0.99), 1),
        num(appMicros(m), 2),
        one ? ratio(appMicros(m), appMicros(one)) : "-",
        num(m.rowsPerRequest, 3),
        m.spread.join("/"),
        m.delivered === null ? "-" : num(m.delivered, 3),
      ];
    }),
    [
      "All shards share this machine's workerd (2 cores): req/s cannot grow with shards here; on Cloudflare each",
      "  shard is its own object on its own thread. app us/pt: workerd CPU per accepted point (Worker + objects).",
      "rows/req: SQLite rows written per request over the window, every shard and the hub included (board /stats).",
      "per shard: requests each shard took in the window (FNV-1a of the device id; 64 devices).",
      "delivered: points each viewer received from the window's start until a second after it, per point the board",
      "  accepted over that span (1 = all of them), with the viewers on the hub (shards push to it).",
    ],
  );
}
