import { Histogram } from "./histogram.ts";
import type { Outcome } from "./targets.ts";

/** Timing of a closed-loop run. */
export interface ClosedLoopOptions {
  /** Requests in flight at any time: each slot sends its next request when the previous one is answered. */
  concurrency: number;
  warmupMs: number;
  durationMs: number;
  /** Called when measuring starts and ends (after the warm-up, at the end of the duration). */
  onWindow?: (edge: "start" | "end") => void;
}

/** Totals over the measured window: requests answered inside it, wherever they started. */
export interface ClosedLoopResult {
  seconds: number;
  requests: number;
  failed: number;
  points: number;
  /** Requests sent and accepted in all, warm-up included. */
  sentTotal: number;
  acceptedTotal: number;
  statuses: Map<number, number>;
  latencyMs: Histogram;
}

/** Drives `send(slot)` from `concurrency` slots for warm-up plus duration and measures the window after warm-up. */
export async function runClosedLoop(
  options: ClosedLoopOptions,
  send: (slot: number) => Promise<Outcome>,
): Promise<ClosedLoopResult> {
  const start = performance.now();
  const windowStart = start + options.warmupMs;
  const end = windowStart + options.durationMs;
  const result: ClosedLoopResult = {
    seconds: options.durationMs / 1000,
    requests: 0,
    failed: 0,
    points: 0,
    sentTotal: 0,
    acceptedTotal: 0,
    statuses: new Map(),
    latencyMs: new Histogram(),
  };
  const startTimer = setTimeout(() => options.onWindow?.("start"), options.warmupMs);
  const slot = async (index: number) => {
    while (performance.now() < end) {
      const sentAt = performance.now();
      result.sentTotal++;
      const outcome = await send(index);
      const doneAt = performance.now();
      if (outcome.ok) result.acceptedTotal++;
      if (doneAt < windowStart || doneAt > end) continue;
      result.statuses.set(outcome.status, (result.statuses.get(outcome.status) ?? 0) + 1);
      if (!outcome.ok) {
        result.failed++;
        continue;
      }
      result.requests++;
      result.points += outcome.points;
      result.latencyMs.record(doneAt - sentAt);
    }
  };
  const endTimer = setTimeout(() => options.onWindow?.("end"), options.warmupMs + options.durationMs);
  await Promise.all(Array.from({ length: options.concurrency }, (_, index) => slot(index)));
  clearTimeout(startTimer);
  clearTimeout(endTimer);
  return result;
}
