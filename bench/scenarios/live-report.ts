import type { CpuPercent } from "../lib/cpu.ts";
import type { PacedResult } from "../lib/paced.ts";
import { num, printTable, ratio, verdict } from "../lib/table.ts";
import type { TargetName } from "../lib/targets.ts";
import type { ViewerKind } from "../live/messages.ts";
import type { PoolResult } from "../live/viewer-pool.ts";

/** A backend under test: where its batches go, how its viewers read, and config overrides. */
export interface LiveVariant {
  name: string;
  ingest: TargetName;
  viewers: ViewerKind;
  /** `--var` overrides for wrangler dev. */
  vars?: Record<string, string>;
  /** The configuration the targets are about; other variants are compared against it. */
  ours?: boolean;
}

/** The shape of the offered load, for the table titles. */
export interface LiveLoad {
  requestsPerSecond: number;
  pointsPerRequest: number;
  devices: number;
  viewerThreads: number;
  drainMs: number;
}

/** The targets for our hub: bytes per point, and a p99 at most `p99VsBaseline` times the baseline's in the run. */
export interface LiveTargets {
  bytesPerPoint: number;
  p99VsBaseline: number;
  baseline: string;
}

/** What one variant at one viewer count came to. */
export interface LiveMeasurement {
  variant: LiveVariant;
  viewers: number;
  seconds: number;
  load: PacedResult;
  received: PoolResult;
  cpu: CpuPercent;
}

/** Per-viewer figures of a measurement. */
export function summarize(m: LiveMeasurement, pointsPerRequest: number) {
  const { tallies, latency, failedToOpen } = m.received;
  const sum = (pick: (t: (typeof tallies)[number]) => number) => tallies.reduce((s, t) => s + pick(t), 0);
  const points = sum((t) => t.points);
  const offered = m.load.pointsSent + m.load.skipped * pointsPerRequest;
  const counts = tallies.map((t) => t.points).concat(failedToOpen.map(() => 0));
  return {
    offeredPerSecond: offered / m.seconds,
    acceptedPerSecond: m.load.pointsAccepted / m.seconds,
    delivered: points / m.viewers / offered,
    worstDelivered: Math.min(...counts) / offered,
    bytesPerPoint: sum((t) => t.bytes) / points,
    messagesPerSecond: sum((t) => t.messages) / m.viewers / m.seconds,
    framesPerSecond: sum((t) => t.frames) / m.viewers / m.seconds,
    p50: latency.quantile(0.5),
    p99: latency.quantile(0.99),
    max: latency.max,
    /** App CPU time per point delivered to one viewer, in µs. */
    appMicrosPerDelivery: ((m.cpu.app / 100) * m.seconds * 1e6) / points,
    lostViewers: tallies.filter((t) => t.closedWith !== null).length + failedToOpen.length,
  };
}

function mainTable(measurements: LiveMeasurement[], load: LiveLoad): void {
  const rows = measurements.map((m) => {
    const s = summarize(m, load.pointsPerRequest);
    return [
      m.variant.name,
      num(m.viewers),
      num(s.offeredPerSecond),
      num(s.acceptedPerSecond),
      num(s.delivered, 3),
      num(s.worstDelivered, 3),
      num(s.bytesPerPoint, 1),
      num(s.messagesPerSecond, 1),
      num(s.framesPerSecond, 1),
      num(s.p50, 0),
      num(s.p99, 0),
      num(s.max, 0),
      num(m.load.latencyMs.quantile(0.99), 0),
      num(s.lostViewers),
      num(m.cpu.app),
      num(m.cpu.proxy),
      num(m.cpu.client),
      num(m.cpu.other),
      num(s.appMicrosPerDelivery, 2),
    ];
  });
  const offered = load.requestsPerSecond * load.pointsPerRequest;
  printTable(
    `Live: ${num(offered)} points/s offered (${load.requestsPerSecond} req/s x ${load.pointsPerRequest} points, ` +
      `${load.devices} devices), every viewer subscribed to all series`,
    ["variant", "viewers", "offered/s", "accepted/s", "deliv/offer", "worst", "B/pt/viewer", "msgs/s/v"]
      .concat(["frames/s/v", "p50 ms", "p99 ms", "max ms", "ingest p99", "lost viewers", "app CPU%"])
      .concat(["proxy CPU%", "client CPU%", "other CPU%", "app us/delivery"]),
    rows,
    [
      `deliv/offer: points a viewer received inside the window (load + ${load.drainMs / 1000} s drain) / points offered;`,
      "  mean over viewers, `worst` the lowest. B/pt/viewer: payload bytes received (binary frames + UTF-8 text, poll",
      "  bodies; WebSocket/HTTP framing not counted) per point delivered. msgs/s/v: WebSocket messages (or poll",
      "  responses) per viewer per second; frames/s/v: binary data frames. Latency: viewer receive time - point ts",
      "  (ts = send time, same clock), over every delivered point; includes the client threads' own queueing.",
      "ingest p99: latency of the ingest requests (ms). lost viewers: failed to connect or closed by the server.",
      "CPU% of one core (2 cores = 200%) over load + drain. app us/delivery: app CPU per point per viewer delivered.",
      `Viewers run in ${load.viewerThreads} worker threads of this process (client CPU% covers all its threads); the`,
      "  load generator paces requests by wall clock on the main thread. Each variant runs on a fresh wrangler dev.",
    ],
  );
}

function comparison(viewers: number, ours: LiveMeasurement, others: LiveMeasurement[], load: LiveLoad): void {
  const o = summarize(ours, load.pointsPerRequest);
  printTable(
    `Live, ${viewers} viewers: other / ${ours.variant.name} (deliv/offer below 1: delivers less; others above 1: costs more)`,
    ["variant", "deliv/offer", "B/pt/viewer", "msgs/s/v", "p50", "p99", "app CPU%", "app us/delivery"],
    others.map((m) => {
      const b = summarize(m, load.pointsPerRequest);
      return [
        m.variant.name,
        ratio(b.delivered, o.delivered),
        ratio(b.bytesPerPoint, o.bytesPerPoint),
        ratio(b.messagesPerSecond, o.messagesPerSecond),
        ratio(b.p50, o.p50),
        ratio(b.p99, o.p99),
        ratio(m.cpu.app, ours.cpu.app),
        ratio(b.appMicrosPerDelivery, o.appMicrosPerDelivery),
      ];
    }),
  );
}

/** Prints the live tables: every measurement, then each viewer count's ratios and target verdicts. */
export function reportLive(measurements: LiveMeasurement[], load: LiveLoad, targets: LiveTargets): void {
  mainTable(measurements, load);
  for (const viewers of new Set(measurements.map((m) => m.viewers))) {
    const group = measurements.filter((m) => m.viewers === viewers);
    const ours = group.find((m) => m.variant.ours);
    if (!ours) continue;
    comparison(
      viewers,
      ours,
      group.filter((m) => m !== ours),
      load,
    );
    const o = summarize(ours, load.pointsPerRequest);
    const baseline = group.find((m) => m.variant.name === targets.baseline);
    const b = baseline && summarize(baseline, load.pointsPerRequest);
    const p99Ratio = b ? o.p99 / b.p99 : Number.NaN;
    console.log(
      `  Targets (${viewers} viewers): deliver all: ${num(o.worstDelivered, 3)} ${verdict(o.worstDelivered >= 0.999)}; ` +
        `<= ${targets.bytesPerPoint} B/pt/viewer: ${num(o.bytesPerPoint, 1)} ${verdict(o.bytesPerPoint <= targets.bytesPerPoint)}; ` +
        `p99 <= ${targets.p99VsBaseline}x ${targets.baseline}'s: ${num(o.p99, 0)} vs ${b ? num(b.p99, 0) : "?"} ms = ` +
        `${num(p99Ratio, 2)}x ${verdict(p99Ratio <= targets.p99VsBaseline)}`,
    );
  }
}
