import type { Histogram } from "../lib/histogram.ts";
import type { CountingWindow } from "./counting-window.ts";
import type { ViewerTally } from "./messages.ts";

/** One viewer's counters, fed only inside the counting window; latencies go to the thread's shared histogram. */
export class Reception {
  readonly tally: ViewerTally = { points: 0, bytes: 0, messages: 0, frames: 0, closedWith: null };
  private readonly latency: Histogram;
  private readonly window: CountingWindow;

  constructor(latency: Histogram, window: CountingWindow) {
    this.latency = latency;
    this.window = window;
  }

  /** Counts a message of `bytes` received at `now`; false when outside the window (then ignore its points). */
  message(now: number, bytes: number): boolean {
    if (!this.window.has(now)) return false;
    this.tally.messages++;
    this.tally.bytes += bytes;
    return true;
  }

  /** Counts `count` points stamped `ts` (send time) received at `now`: ingest-to-viewer latency is `now - ts`. */
  point(now: number, ts: number, count = 1): void {
    this.tally.points += count;
    this.latency.record(now - ts, count);
  }
}

/** A simulated viewer. */
export interface Viewer {
  readonly reception: Reception;
  /** Resolves once connected and greeted. */
  open(): Promise<void>;
  /** Counting starts at `at`; pollers start their clocks. */
  start(at: number): void;
  close(): void;
}
