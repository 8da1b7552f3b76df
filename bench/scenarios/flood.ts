import { setTimeout as sleep } from "node:timers/promises";
import { FloodThread } from "../flood/flood-client.ts";
import type { Flood, FloodCounts } from "../flood/messages.ts";
import { type CpuPercent, measureCpu } from "../lib/cpu.ts";
import { HttpClient } from "../lib/http.ts";
import { type PacedResult, runPaced } from "../lib/paced.ts";
import { ingestBody, makePoints } from "../lib/points.ts";
import { awaitQuietMachine } from "../lib/quiet.ts";
import { startServer } from "../lib/server.ts";
import { num, printTable, ratio, verdict } from "../lib/table.ts";
import { Ingestor } from "../lib/targets.ts";
import { mintToken } from "../lib/tokens.ts";
import type { BenchContext } from "./context.ts";

/** Well-behaved devices: 20 posting 10 points a second each, as at the reference load. */
const DEVICES = 20;
const POINTS = 10;
/**
 * The bound we state: a flood may raise the other devices' ingest p99 at most 4x (plus 10 ms of timer noise). Here
 * the flooding client, wrangler's proxy and workerd share two cores, so a flood's raw request rate costs everyone
 * CPU; what the app bounds is the work each refused request does (a map lookup in the Worker, no object call).
 */
const P99_FACTOR = 4;
const P99_SLACK_MS = 10;
/**
 * Other processes' CPU (% of one core) past which a run is not compared: the quiet run and a flood run are minutes
 * apart, and another session's burst in either makes the ratio say more about the box than about the flood.
 */
const BUSY_OTHERS_PERCENT = 25;
const MAX_ATTEMPTS = 3;

const FLOODS: Flood[] = ["none", "device", "viewer messages", "streams and polls", "poll storm"];

/** One flood's measurement: the other devices' ingest, the CPU of each process, what the flood did. */
interface Cell {
  result: PacedResult;
  cpu: CpuPercent;
  /** The flooding client's thread, % of one core. */
  floodCpu: number;
  counts: FloodCounts;
}

/** Runs `flood` against a fresh `wrangler dev` while 20 devices post, and measures them. */
async function measureFlood(context: BenchContext, flood: Flood): Promise<Cell> {
  // The deployment's per-device limit (the other scenarios lift it to measure throughput).
  const server = await startServer(context.stage, context.secret, { DEVICE_REQUESTS_PER_10S: "1000" });
  const client = new HttpClient(server.origin, DEVICES * 2);
  const ingestor = new Ingestor(client, context.secret);
  const board = `flood-${flood.replace(/ /g, "-")}`;
  const tokens = {
    device: await mintToken(context.secret, "device", board, "flooder"),
    viewer: await mintToken(context.secret, "viewer", board),
  };
  try {
    const body = ingestBody(makePoints(POINTS, () => Date.now()));
    for (let d = 0; d < DEVICES; d++) await ingestor.post("real", board, `dev-${d}`, body, POINTS);
    await awaitQuietMachine();
    const thread = await FloodThread.start({ kind: flood, origin: server.origin, board, tokens });
    await sleep(context.quick ? 500 : 2000);
    const endCpu = measureCpu(server);
    const floodCpuBefore = await thread.cpuMicros();
    const windowStart = performance.now();
    const result = await runPaced(
      {
        requestsPerSecond: DEVICES,
        pointsPerRequest: POINTS,
        durationMs: context.quick ? 4000 : 15_000,
        maxInFlight: DEVICES * 2,
        settleMs: 5000,
      },
      (i) => ingestor.post("real", board, `dev-${i % DEVICES}`, body, POINTS),
    );
    const cpu = endCpu();
    const floodCpu =
      (100 * ((await thread.cpuMicros()) - floodCpuBefore)) / 1000 / (performance.now() - windowStart);
    return { result, cpu, floodCpu, counts: await thread.stop() };
  } finally {
    client.close();
    await server.stop();
  }
}

/** Measures `flood` again (up to MAX_ATTEMPTS in all) while other processes used the box past BUSY_OTHERS_PERCENT. */
async function measureOnQuietBox(context: BenchContext, flood: Flood): Promise<Cell & { attempts: number }> {
  for (let attempts = 1; ; attempts++) {
    const cell = await measureFlood(context, flood);
    const p99 = cell.result.latencyMs.quantile(0.99);
    console.log(
      `  flood ${flood}: p99 ${num(p99, 1)} ms, flood sent ${num(cell.counts.sent)}, other processes ${num(cell.cpu.other)}%`,
    );
    if (cell.cpu.other <= BUSY_OTHERS_PERCENT || attempts === MAX_ATTEMPTS) return { ...cell, attempts };
  }
}

/**
 * Other devices' ingest latency while one client floods: a device far past its rate limit, viewer sockets flooding
 * subscribe messages, and one client hoarding streams and polls. Each run has its own `wrangler dev`.
 */
export async function floodScenario(context: BenchContext): Promise<void> {
  const rows: string[][] = [];
  let quietP99 = 0;
  let quietOthers = 0;
  const verdicts: string[] = [];
  for (const flood of FLOODS) {
    const { result, cpu, floodCpu, counts, attempts } = await measureOnQuietBox(context, flood);
    const p99 = result.latencyMs.quantile(0.99);
    if (flood === "none") [quietP99, quietOthers] = [p99, cpu.other];
    const bound = quietP99 * P99_FACTOR + P99_SLACK_MS;
    const others = Math.max(quietOthers, cpu.other);
    if (flood !== "none")
      verdicts.push(
        `${flood}: p99 ${num(p99)} ms <= ${num(bound)} ms: ${
          others > BUSY_OTHERS_PERCENT
            ? `NOT COMPARED (other processes used ${num(others)}%)`
            : verdict(p99 <= bound)
        }`,
      );
    rows.push([
      flood,
      num(result.accepted),
      num(result.failed),
      num(result.latencyMs.quantile(0.5), 1),
      num(p99, 1),
      flood === "none" ? "1.00x" : ratio(p99, quietP99),
      num(counts.sent),
      num(counts.refused),
      num(counts.closed1008),
      num(cpu.app),
      num(cpu.proxy),
      num(floodCpu),
      num(Math.max(0, cpu.client - floodCpu)),
      num(cpu.other),
      num(attempts),
    ]);
  }
  printTable(
    `Floods: ${DEVICES} other devices posting ${POINTS} points once a second each, while one client floods the same board`,
    [
      "flood",
      "accepted",
      "failed",
      "p50 ms",
      "p99 ms",
      "p99 vs none",
      "flood msgs",
      "refused 429",
      "closed 1008",
      "app CPU%",
      "proxy CPU%",
      "flood CPU%",
      "devices CPU%",
      "other CPU%",
      "runs",
    ],
    rows,
    [
      "device: one device token posting as fast as 8 connections go (429 past 1,000 requests per 10 s).",
      "viewer messages: 4 sockets sending subscribe messages 2,000/s each, reconnecting whenever closed (1008) as",
      "  often as a deployment's upgrade limit allows (60 a minute per credential; the bench lifts it for its viewers).",
      "streams and polls: one credential and address holding open as many of 200 SSE streams and 200 long polls as",
      "  it is let, asking again after each refusal's Retry-After.",
      "poll storm: one credential long-polling from its current position in 200 loops, each asking again at once",
      "  when refused (ignoring Retry-After).",
      "CPU% over the measured window, of one core (two cores here): app = the Worker's workerd, proxy = wrangler's",
      "  proxy in front of it (local dev only), flood = the flooding client's thread, devices = the rest of the bench",
      "  process (the measured devices), other = everything else on the machine.",
      `Bound: other devices' ingest p99 at most ${P99_FACTOR}x the quiet run's + ${P99_SLACK_MS} ms; not compared`,
      `  when other processes used more than ${BUSY_OTHERS_PERCENT}% of a core in the flood's run or the quiet one;`,
      `  runs: a cell is measured again (${MAX_ATTEMPTS} runs at most, the last one shown) while others used more.`,
      ...verdicts,
    ],
  );
}
