import { setTimeout as sleep } from "node:timers/promises";
import { startRealPrometheus } from "../../scripts/real-prometheus.ts";
import { signToken } from "../../worker/auth/tokens.ts";
import { decodeFrame, fromBase64 } from "../../worker/protocol/index.ts";
import { Histogram } from "../lib/histogram.ts";
import { HotSpotRecorder } from "../lib/hot-spots.ts";
import { HttpClient } from "../lib/http.ts";
import { cpuSpentByName } from "../lib/procfs.ts";
import { awaitQuietMachine } from "../lib/quiet.ts";
import { startServer } from "../lib/server.ts";
import { num, printTable, ratio, verdict } from "../lib/table.ts";
import { mintToken } from "../lib/tokens.ts";
import { PollingPanel, REFRESH_MS, writeTick } from "../live/prometheus-panel.ts";
import type { BenchContext } from "./context.ts";

const BOARD = "live-promql";
const STEP_MS = 1000;
const STEP_S = STEP_MS / 1000;
/** Ingest cadence: every tick the load device posts its series and the probe device one point, value = tick number. */
const TICK_MS = 100;
/** Each expression carries the probe's value (offset by its index) and reads every load series. */
const expression = (i: number) => `max(probe) + ${i} + 0 * sum(rate(load[5s]))`;

interface Run {
  viewers: number;
  expressions: number;
  series: number;
  /** Also remote-write the input into Prometheus and poll it as Grafana would (one panel per expression). */
  prometheus?: boolean;
}

/** SSE streams one object holds per client address (STREAMS_PER_ADDRESS is 256): viewers come from several. */
const VIEWERS_PER_ADDRESS = 200;
/** Streams opened at once. */
const OPEN_CONCURRENCY = 20;

interface Row {
  viewers: number;
  expressions: number;
  series: number;
  pointsPerSecond: number;
  promql: Histogram;
  raw: Histogram;
  /** Prometheus polled every 5 s: probe sent → first answer showing it; null when not run. */
  polled: Histogram | null;
  pollFailures: number;
  events: number;
  /** Subscriptions ended by a `query_error`, by its data. */
  errors: Map<string, number>;
  /** Of the steps final during the run, the share every viewer received. */
  delivered: number;
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

/** Of every viewer's steps from `first` to `last` (seconds), the share it received. */
function delivered(received: Map<number, number>, first: number, last: number, viewers: number): number {
  let sum = 0;
  for (let t = first; t <= last; t += STEP_S) sum += received.get(t) ?? 0;
  return sum / viewers / ((last - first) / STEP_S + 1);
}

async function measure(
  context: BenchContext,
  { viewers, expressions, series, prometheus: withPrometheus = false }: Run,
  seconds: number,
): Promise<Row> {
  const server = await startServer(context.stage, context.secret, { BOARD_SHARDS: "1" });
  const prometheus = withPrometheus ? await startRealPrometheus() : null;
  const panels: PollingPanel[] = [];
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
    const open = async (path: string, credential: string, headers: Record<string, string> = {}) => {
      const response = await fetch(`${server.origin}${path}`, {
        headers: { authorization: `Bearer ${credential}`, ...headers },
        signal: abort.signal,
      });
      if (response.status !== 200)
        throw new Error(`GET ${path}: ${response.status} ${await response.text()}`);
      return response;
    };
    // Subscriptions that ended with an error, by its text.
    const errors = new Map<string, number>();
    // Per step (seconds), how many viewers received it in a `steps` event.
    const stepsReceived = new Map<number, number>();
    const openViewer = async (v: number) => {
      const i = v % expressions;
      // A credential of its own: a credential holds at most 4 streams on an object.
      const exp = Math.floor(Date.now() / 1000) + 3600 + v;
      const iat = Math.floor(Date.now() / 1000);
      const credential = await signToken(context.secret, { kind: "viewer", board: BOARD, iat, exp });
      const query = new URLSearchParams({ query: expression(i), step: `${STEP_MS / 1000}s` });
      const response = await open(`/api/v1/boards/${BOARD}/prometheus/live?${query}`, credential, {
        "cf-connecting-ip": `10.0.${Math.floor(v / VIEWERS_PER_ADDRESS)}.1`,
      });
      let highest = 0;
      let lastReceived = Number.NEGATIVE_INFINITY;
      const read = readEvents(
        response,
        (event, data) => {
          if (event === "query_error") errors.set(data, (errors.get(data) ?? 0) + 1);
          if (event !== "result") return;
          const result = JSON.parse(data) as {
            kind: string;
            start: number;
            end: number;
            result: Array<{ values: Array<[number, string]> }>;
          };
          if (result.kind === "steps") {
            events++;
            for (let t = Math.max(result.start, lastReceived + STEP_S); t <= result.end; t += STEP_S)
              stepsReceived.set(t, (stepsReceived.get(t) ?? 0) + 1);
            lastReceived = Math.max(lastReceived, result.end);
          }
          const last = result.result[0]?.values.at(-1);
          if (!last) return;
          const value = Math.round(Number(last[1]) - i);
          // The history's value is where this viewer starts; later steps are measured.
          if (result.kind === "history") highest = value;
          else if (value > highest) highest = clock.seen(promql, value, highest);
        },
        abort.signal,
      );
      return { read };
    };
    let next = 0;
    await Promise.all(
      Array.from({ length: Math.min(OPEN_CONCURRENCY, viewers) }, async () => {
        while (next < viewers) readers.push((await openViewer(next++)).read);
      }),
    );
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
    // Grafana's panels on Prometheus, one per expression, refreshing out of phase.
    const polled = prometheus ? new Histogram() : null;
    if (prometheus && polled) {
      await writeTick(prometheus.url, series, Date.now(), 0);
      for (let i = 0; i < expressions; i++) {
        let highest = 0;
        const panel = new PollingPanel(prometheus.url, expression(i), STEP_MS, (answer) => {
          const value = Math.round(answer - i);
          if (value > highest) highest = clock.seen(polled, value, highest);
        });
        panels.push(panel);
      }
    }
    await sleep(3000); // histories answered, evaluations seeded
    const profile =
      context.profile && viewers > 0
        ? new HotSpotRecorder(server, context.stage.dir, `${viewers} viewers of ${expressions} expressions`)
        : null;
    const before = server.cpu();
    const started = performance.now();
    const firstCounted = (Math.ceil(Date.now() / STEP_MS) + 1) * STEP_S;
    for (const [i, panel] of panels.entries()) panel.start((REFRESH_MS * i) / panels.length);
    for (let tick = 1; performance.now() - started < seconds * 1000; tick++) {
      const due = started + tick * TICK_MS;
      await sleep(Math.max(0, due - performance.now()));
      const ts = Date.now();
      clock.sentAt[tick] = performance.now();
      await Promise.all([
        post(probe, { metrics: { probe: tick }, ts }),
        post(load, loadBody(ts, tick)),
        prometheus ? writeTick(prometheus.url, series, ts, tick) : undefined,
      ]);
    }
    const lastCounted = Math.floor(Date.now() / STEP_MS) * STEP_S;
    // The last steps become final (and the panels' next refresh shows them).
    await sleep(prometheus ? REFRESH_MS + STEP_MS : STEP_MS + 500);
    const spent = cpuSpentByName(before, server.cpu());
    const elapsedSteps = (performance.now() - started) / STEP_MS;
    for (const panel of panels) panel.stop();
    await profile?.print();
    abort.abort();
    const bytes = (await Promise.all(readers)).slice(0, viewers).reduce((a, b) => a + b, 0);
    return {
      viewers,
      expressions,
      series,
      pointsPerSecond: ((series + 1) * 1000) / TICK_MS,
      promql,
      raw,
      polled,
      pollFailures: panels.reduce((sum, panel) => sum + panel.failures, 0),
      events,
      errors,
      delivered: delivered(stepsReceived, firstCounted, lastCounted, viewers),
      bytesPerViewerStep: viewers > 0 ? bytes / viewers / elapsedSteps : 0,
      appCpuMsPerStep: ((spent.get("workerd:app") ?? 0) * 1000) / elapsedSteps,
    };
  } finally {
    abort.abort();
    for (const panel of panels) panel.stop();
    await prometheus?.stop();
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
    ? [{ viewers: 10, expressions: 10, series: 100, prometheus: true }]
    : [
        { viewers: 0, expressions: 0, series: 1000 },
        { viewers: 1, expressions: 1, series: 1000 },
        { viewers: 100, expressions: 1, series: 1000 },
        { viewers: 1000, expressions: 1, series: 1000 },
        { viewers: 200, expressions: 10, series: 1000, prometheus: true },
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
      "delivered",
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
      r.viewers > 0 ? `${num(r.delivered * 100, 1)} %` : "-",
      r.viewers > 0 ? num(r.bytesPerViewerStep) : "-",
      num(r.appCpuMsPerStep, 1),
      baseline !== undefined && r.viewers > 0 ? num(r.appCpuMsPerStep - baseline, 1) : "-",
      r.viewers > 0 ? verdict(r.promql.quantile(0.99) <= STEP_MS + 100) : "-",
    ]),
    [
      "Expressions `max(probe) + i + 0 * sum(rate(load[5s]))`, i < expressions, viewers spread over them; one SSE stream each.",
      "Latency of a probe point: posted (ingest request sent) → the first event showing its value (a step holds the step's last point, so up to a step of waiting is inherent).",
      "raw: one /events viewer of the probe series, the same points as binary frames.",
      "delivered: of the steps final during the run, the share of (viewer, step) pairs received as `steps` events.",
      "app CPU: the app workerd's CPU over the run per step (ingest, shards, hub, evaluations and sends together); 'over ingest alone' subtracts the run without PromQL viewers.",
      ...rows.flatMap((r) =>
        [...r.errors].map(
          ([error, count]) =>
            `ERROR ${num(count)} of ${num(r.viewers)} viewers' subscriptions ended: ${error}`,
        ),
      ),
    ],
  );
  for (const r of rows.filter((row) => row.polled)) {
    const live = r.promql.quantile(0.99);
    const line = (name: string, h: Histogram) => [
      name,
      num(h.quantile(0.5), 1),
      num(h.quantile(0.99), 1),
      ratio(h.quantile(0.5), r.promql.quantile(0.5)),
      ratio(h.quantile(0.99), live),
      num(h.count),
    ];
    printTable(
      `Ingest → viewer, ${num(r.viewers)} viewers of ${num(r.expressions)} expressions at ${num(r.pointsPerSecond)} points/s: live PromQL, the raw stream, Prometheus polled every ${REFRESH_MS / 1000} s`,
      ["path", "p50 ms", "p99 ms", "p50 vs live PromQL", "p99 vs live PromQL", "probe points measured"],
      [
        line("live PromQL (SSE, step 1 s)", r.promql),
        line("raw stream (/events)", r.raw),
        line(`Prometheus 2.42, query_range every ${REFRESH_MS / 1000} s`, r.polled!),
      ],
      [
        "Prometheus: the same points remote-written in the same ticks; one Grafana-like panel per expression, query_range over the last 5 min with its end aligned down to the step, refreshing out of phase.",
        `Prometheus polls that failed or answered no series: ${num(r.pollFailures)}.`,
      ],
    );
  }
}
