import { setTimeout as sleep } from "node:timers/promises";
import { measureCpu } from "../lib/cpu.ts";
import { HotSpotRecorder } from "../lib/hot-spots.ts";
import { HttpClient } from "../lib/http.ts";
import { runPaced } from "../lib/paced.ts";
import { ingestBody, makePoints } from "../lib/points.ts";
import { awaitQuietMachine } from "../lib/quiet.ts";
import { startServer } from "../lib/server.ts";
import { num } from "../lib/table.ts";
import { Ingestor } from "../lib/targets.ts";
import { mintToken } from "../lib/tokens.ts";
import { ViewerPool } from "../live/viewer-pool.ts";
import type { BenchContext } from "./context.ts";
import {
  type LiveLoad,
  type LiveMeasurement,
  type LiveVariant,
  reportLive,
  summarize,
} from "./live-report.ts";

/** 20 requests/s x 500 points = 10,000 points/s, round-robin over 4 devices; viewers in one thread per core. */
const LOAD: LiveLoad = {
  requestsPerSecond: 20,
  pointsPerRequest: 500,
  devices: 4,
  viewerThreads: 2,
  drainMs: 1500,
};
/** Unanswered ingest requests beyond this are skipped rather than queued (still counted as offered). */
const MAX_IN_FLIGHT = 40;
const TICK_MS = 100;

const VARIANTS: LiveVariant[] = [
  { name: "edgepulse hub", ingest: "real", viewers: "hub", ours: true },
  // Diagnostic: the same hub flushing every batch at once shows what the tick adds to latency.
  { name: "edgepulse tick 0", ingest: "real", viewers: "hub", vars: { LIVE_TICK_MS: "0" } },
  { name: "partyserver", ingest: "party", viewers: "party" },
  { name: "naive-hub", ingest: "naive-hub", viewers: "naive-hub" },
  { name: "poll 1 s", ingest: "naive-store", viewers: "poll" },
];

/** One variant with `viewers` viewers on a fresh server (a backlog left by a slow baseline cannot leak). */
async function measure(
  context: BenchContext,
  variant: LiveVariant,
  viewers: number,
): Promise<LiveMeasurement> {
  const durationMs = context.quick ? 4000 : 10_000;
  const board = `live-${variant.viewers}-${viewers}`;
  const server = await startServer(context.stage, context.secret, variant.vars);
  const client = new HttpClient(server.origin, MAX_IN_FLIGHT);
  const ingestor = new Ingestor(client, context.secret);
  const post = (i: number) =>
    ingestor.post(
      variant.ingest,
      board,
      `host-${i % LOAD.devices}`,
      ingestBody(makePoints(LOAD.pointsPerRequest, () => Date.now())),
      LOAD.pointsPerRequest,
    );
  try {
    // Create every series before viewers connect: the window measures the steady state.
    for (let i = 0; i < LOAD.devices; i++) await post(i);
    const token = await mintToken(context.secret, "viewer", board);
    const pool = await ViewerPool.open(
      { kind: variant.viewers, origin: server.origin, board, token },
      viewers,
      LOAD.viewerThreads,
    );
    await awaitQuietMachine();
    const at = Date.now() + 200;
    pool.start(at);
    await sleep(at - Date.now());
    const endCpu = measureCpu(server);
    const profile =
      context.profile && variant.ours
        ? new HotSpotRecorder(server, context.stage.dir, `live ${variant.name} x ${viewers} viewers`)
        : undefined;
    const load = await runPaced(
      {
        requestsPerSecond: LOAD.requestsPerSecond,
        pointsPerRequest: LOAD.pointsPerRequest,
        durationMs,
        maxInFlight: MAX_IN_FLIGHT,
        settleMs: LOAD.drainMs,
      },
      post,
    );
    await sleep(Math.max(0, at + durationMs + LOAD.drainMs - Date.now()));
    const cpu = endCpu();
    await profile?.print();
    const received = await pool.stop();
    return { variant, viewers, seconds: durationMs / 1000, load, received, cpu };
  } finally {
    client.close();
    await server.stop();
  }
}

/** Live fan-out of a steady ingest to many viewers: our hub against a naive per-point hub and 1 s polling. */
export async function liveScenario(context: BenchContext): Promise<void> {
  const measurements: LiveMeasurement[] = [];
  for (const viewers of context.viewers) {
    for (const variant of VARIANTS) {
      const m = await measure(context, variant, viewers);
      const s = summarize(m, LOAD.pointsPerRequest);
      console.log(
        `  live ${variant.name} x ${viewers}: delivered ${num(s.delivered, 3)}, p99 ${num(s.p99, 0)} ms, ` +
          `${num(m.load.failed + m.load.unanswered)} ingest failures, ${num(m.load.skipped)} skipped`,
      );
      measurements.push(m);
    }
  }
  reportLive(measurements, LOAD, { bytesPerPoint: 16, p99Ms: TICK_MS + 20 });
}
