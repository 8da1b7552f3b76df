import { setTimeout as sleep } from "node:timers/promises";
import { Histogram } from "./histogram.ts";
import type { Outcome } from "./targets.ts";

/** An open-loop load: requests start on a wall-clock schedule whether or not earlier ones were answered. */
export interface PacedOptions {
  requestsPerSecond: number;
  pointsPerRequest: number;
  durationMs: number;
  /** A request due while this many are unanswered is skipped (and counted) instead of piling up. */
  maxInFlight: number;
  /** How long to wait at the end for unanswered requests before giving up on them. */
  settleMs: number;
}

/** Counts of a paced run; `unanswered` requests were still pending after `settleMs`. */
export interface PacedResult {
  seconds: number;
  sent: number;
  skipped: number;
  accepted: number;
  failed: number;
  unanswered: number;
  pointsSent: number;
  pointsAccepted: number;
  /** Latency of the answered requests, accepted or not. */
  latencyMs: Histogram;
}

/** Calls `send(i)` at `requestsPerSecond` for `durationMs`, then waits up to `settleMs` for the answers. */
export async function runPaced(
  options: PacedOptions,
  send: (index: number) => Promise<Outcome>,
): Promise<PacedResult> {
  const interval = 1000 / options.requestsPerSecond;
  const total = Math.floor(options.durationMs / interval);
  const result: PacedResult = {
    seconds: options.durationMs / 1000,
    sent: 0,
    skipped: 0,
    accepted: 0,
    failed: 0,
    unanswered: 0,
    pointsSent: 0,
    pointsAccepted: 0,
    latencyMs: new Histogram(),
  };
  const inFlight = new Set<Promise<void>>();
  const start = performance.now();
  for (let i = 0; i < total; i++) {
    const wait = start + i * interval - performance.now();
    if (wait > 0) await sleep(wait);
    if (inFlight.size >= options.maxInFlight) {
      result.skipped++;
      continue;
    }
    result.sent++;
    result.pointsSent += options.pointsPerRequest;
    const sentAt = performance.now();
    const request = send(i).then((outcome) => {
      result.latencyMs.record(performance.now() - sentAt);
      if (outcome.ok) {
        result.accepted++;
        result.pointsAccepted += outcome.points;
      } else result.failed++;
      inFlight.delete(request);
    });
    inFlight.add(request);
  }
  const remaining = start + options.durationMs - performance.now();
  if (remaining > 0) await sleep(remaining);
  await Promise.race([Promise.all(inFlight), sleep(options.settleMs)]);
  result.unanswered = inFlight.size;
  return result;
}
