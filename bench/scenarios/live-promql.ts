import { setTimeout as sleep } from "node:timers/promises";
import { signToken } from "../../worker/auth/tokens.ts";
import { decodeFrame, fromBase64 } from "../../worker/protocol/index.ts";
import { Histogram } from "../lib/histogram.ts";
import { HttpClient } from "../lib/http.ts";
import { cpuSpentByName } from "../lib/procfs.ts";
import { awaitQuietMachine } from "../lib/quiet.ts";
import { startServer } from "../lib/server.ts";
import { num, printTable, verdict } from "../lib/table.ts";
import { mintToken } from "../lib/tokens.ts";
import type { BenchContext } from "./context.ts";

const BOARD = "live-promql";
const STEP_MS = 1000;
/** Ingest cadence: every tick the load device posts its series and the probe device one point, value = tick number. */
const TICK_MS = 100;
/** Each expression carries the probe's value (offset by its index) and reads every load series. */
const expression = (i: number) => `max(probe) + ${i} + 0 * sum(rate(load[5s]))`;

interface Run {
  viewers: number;
  expressions: number;
  series: number;
}

interface Row {
  viewers: number;
  expressions: number;
  series: number;
  pointsPerSecond: number;
  promql: Histogram;
  raw: Histogram;
  events: number;
  bytesPerViewerStep: number;
  appCpuMsPerStep: number;
}

/** Reads an SSE response's events, calling `onEvent` with each one's name and data. */
async function readEvents(
  response: Response,
  onEvent: (event: string, data: string) => void,
  signal: AbortSignal,
): Promise<number> {
  const reader = response.body!.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  let bytes = 0;
  try {
    while (!signal.aborted) {
      const { value, done } = await reader.read();
      if (done) break;
      bytes += value.byteLength;
      buffer += decoder.decode(value, { stream: true });
      for (let end = buffer.indexOf("\n\n"); end >= 0; end = buffer.indexOf("\n\n")) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        if (block.startsWith(":")) continue;
        let event = "message";
        let data = "";
        for (const line of block.split("\n")) {
          if (line.startsWith("event: ")) event = line.slice(7);
          else if (line.startsWith("data: ")) data = line.slice(6);
        }
        onEvent(event, data);
      }
    }
  } catch (error) {
    if (!signal.aborted) throw error;
  } finally {
    reader.cancel().catch(() => {});
  }
  return bytes;
}

/** When each probe value was posted (ms, performance clock). */
class ProbeClock {
  readonly sentAt: number[] = [];
  /** Per viewer, the highest probe value it has seen: a result showing value k reflects every point up to k. */
  seen(latency: Histogram, upTo: number, from: number): number {
    const now = performance.now();
    for (let k = from + 1; k <= upTo && k < this.sentAt.length; k++) latency.record(now - this.sentAt[k]!);
    return Math.max(from, Math.min(upTo, this.sentAt.length - 1));
  }
}

async function measure(
  context: BenchContext,
  { viewers, expressions, series }: Run,
  seconds: number,
): Promise<Row> {
  const server = await startServer(context.stage, context.secret, { BOARD_SHARDS: "1" });
  const client = new HttpClient(server.origin, 8);
  const abort = new AbortController();
  const readers: Array<Promise<number>> = [];
  try {
    const [load, probe] = [
      await mintToken(context.secret, "device", BOARD, "load-gen"),
      await mintToken(context.secret, "device", BOARD, "probe-dev"),
    ];
    const post = (credential: string, body: unknown) =>
      client.send(
        "POST",
        "/api/v1/ingest",
        { authorization: `Bearer ${credential}`, "content-type": "application/json" },
        Buffer.from(JSON.stringify(body)),
      );
    const loadBody = (ts: number, tick: number) => ({
      points: Array.from({ length: series }, (_, n) => ({
        metric: "load",
        value: tick * (n + 1),
        labels: { n: String(n) },
        kind: "counter",
        ts,
      })),
    });
    // The series exist before anyone watches.
    await post(load, loadBody(Date.now(), 0));
    await post(probe, { metrics: { probe: 0 } });
    const clock = new ProbeClock();
    clock.sentAt[0] = performance.now();
    const promql = new Histogram();
    const raw = new Histogram();
    let events = 0;
    const open = async (path: string, credential: string) => {
      const response = await fetch(`${server.origin}${path}`, {
        headers: { authorization: `Bearer ${credential}` },
        signal: abort.signal,
      });
      if (response.status !== 200)
        throw new Error(`GET ${path}: ${response.status} ${await response.text()}`);
      return response;
    };
    for (let v = 0; v < viewers; v++) {
      const i = v % expressions;
      // A credential of its own: a credential holds at most 4 streams on an object.
      const exp = Math.floor(Date.now() / 1000) + 3600 + v;
      const iat = Math.floor(Date.now() / 1000);
      const credential = await signToken(context.secret, { kind: "viewer", board: BOARD, iat, exp });
      const query = new URLSearchParams({ query: expression(i), step: `${STEP_MS / 1000}s` });
      const response = await open(`/api/v1/boards/${BOARD}/prometheus/live?${query}`, credential);
      let highest = 0;
      readers.push(
        readEvents(
          response,
          (event, data) => {
            if (event !== "result") return;
            const result = JSON.parse(data) as {
              kind: string;
              result: Array<{ values: Array<[number, string]> }>;
            };
            const last = result.result[0]?.values.at(-1);
            if (!last) return;
            const value = Math.round(Number(last[1]) - i);
            // The history's value is where this viewer starts; later steps are measured.
            if (result.kind === "history") highest = value;
            else if (value > highest) highest = clock.seen(promql, value, highest);
            if (result.kind === "steps") events++;
          },
          abort.signal,
        ),
      );
    }
    // The raw stream beside it: the probe's points as frames, the same ingest.
    const rawViewer = await mintToken(context.secret, "viewer", BOARD);
    const rawResponse = await open(`/api/v1/boards/${BOARD}/events?series=probe-dev:probe`, rawViewer);
    let rawHighest = Number.POSITIVE_INFINITY;
    readers.push(
      readEvents(
        rawResponse,
        (event, data) => {
          if (event === "message" && JSON.parse(data).type === "snapshot") rawHighest = 0;
          if (event !== "frame") return;
          for (const group of decodeFrame(fromBase64(data)).groups)
            for (const value of group.values)
              if (value > rawHighest) rawHighest = clock.seen(raw, value, rawHighest);
        },
        abort.signal,
      ),
    );
    await sleep(3000); // histories answered, evaluations seeded
    const before = server.cpu();
    const started = performance.now();
    for (let tick = 1; performance.now() - started < seconds * 1000; tick++) {
      const due = started + tick * TICK_MS;
      await sleep(Math.max(0, due - performance.now()));
      const ts = Date.now();
      clock.sentAt[tick] = performance.now();
      await Promise.all([post(probe, { metrics: { probe: tick }, ts }), post(load, loadBody(ts, tick))]);
    }
    await sleep(STEP_MS + 500); // the last steps become final
    const spent = cpuSpentByName(before, server.cpu());
    const elapsedSteps = (performance.now() - started) / STEP_MS;
    abort.abort();
    const bytes = (await Promise.all(readers)).slice(0, viewers).reduce((a, b) => a + b, 0);
    return {
      viewers,
      expressions,
      series,
      pointsPerSecond: ((series + 1) * 1000) / TICK_MS,
      promql,
      raw,
      events,
      bytesPerViewerStep: viewers > 0 ? bytes / viewers / elapsedSteps : 0,
      appCpuMsPerStep: ((spent.get("workerd:app") ?? 0) * 1000) / elapsedSteps,
    };
  } finally {
    abort.abort();
    await server.stop();
  }
}

/**
 * Live PromQL: ingest → updated result at SSE viewers of 10 distinct expressions (each over the load's series), the
 * raw stream of the same probe beside it, and the app's CPU per step as viewers grow.
 */
export async function livePromqlScenario(context: BenchContext): Promise<void> {
  const seconds = context.quick ? 8 : 30;
  const runs: Run[] = context.quick
    ? [{ viewers: 10, expressions: 10, series: 100 }]
    : [
        { viewers: 0, expressions: 0, series: 1000 },
        { viewers: 1, expressions: 1, series: 1000 },
        { viewers: 100, expressions: 1, series: 1000 },
        { viewers: 200, expressions: 10, series: 1000 },
      ];
  const rows: Row[] = [];
  for (const run of runs) {
    await awaitQuietMachine();
    rows.push(await measure(context, run, seconds));
  }
  const baseline = rows.find((r) => r.viewers === 0)?.appCpuMsPerStep;
  printTable(
    `Live PromQL over SSE, step ${STEP_MS / 1000} s: ingest → updated result, beside the raw stream (same run)`,
    [
      "viewers",
      "expressions",
      "input series",
      "points/s in",
      "PromQL p50 ms",
      "PromQL p99 ms",
      "raw p50 ms",
      "raw p99 ms",
      "step events",
      "bytes/viewer/step",
      "app CPU ms/step",
      "over ingest alone",
      "p99 ≤ step + 100 ms",
    ],
    rows.map((r) => [
      num(r.viewers),
      num(r.expressions),
      num(r.series),
      num(r.pointsPerSecond),
      r.viewers > 0 ? num(r.promql.quantile(0.5), 1) : "-",
      r.viewers > 0 ? num(r.promql.quantile(0.99), 1) : "-",
      num(r.raw.quantile(0.5), 1),
      num(r.raw.quantile(0.99), 1),
      num(r.events),
      r.viewers > 0 ? num(r.bytesPerViewerStep) : "-",
      num(r.appCpuMsPerStep, 1),
      baseline !== undefined && r.viewers > 0 ? num(r.appCpuMsPerStep - baseline, 1) : "-",
      r.viewers > 0 ? verdict(r.promql.quantile(0.99) <= STEP_MS + 100) : "-",
    ]),
    [
      "Expressions `max(probe) + i + 0 * sum(rate(load[5s]))`, i < expressions, viewers spread over them; one SSE stream each.",
      "Latency of a probe point: posted (ingest request sent) → the first event showing its value (a step holds the step's last point, so up to a step of waiting is inherent).",
      "raw: one /events viewer of the probe series, the same points as binary frames.",
      "app CPU: the app workerd's CPU over the run per step (ingest, shards, hub, evaluations and sends together); 'over ingest alone' subtracts the run without PromQL viewers.",
    ],
  );
}
