import type { HistogramData } from "../lib/histogram.ts";

/**
 * How a viewer receives data: our hub's binary frames, the naive hub's JSON per point, a partyserver room's JSON per
 * batch (deflated, its default, or `party-no-deflate`: deflate refused as ours does), or polling the naive store.
 */
export type ViewerKind = "hub" | "naive-hub" | "party" | "party-no-deflate" | "poll";

/** A thread's share of viewers (its `workerData`). */
export interface ViewerJob {
  kind: ViewerKind;
  origin: string;
  board: string;
  count: number;
  /** Viewer token, for our hub. */
  token: string;
}

/** What one viewer received while counting. */
export interface ViewerTally {
  points: number;
  /** Payload bytes: binary frame lengths plus UTF-8 lengths of text messages (or poll response bodies). */
  bytes: number;
  /** WebSocket messages of any kind, or poll responses. */
  messages: number;
  /** Binary data frames (our hub only). */
  frames: number;
  /** Close code when the server closed the socket before the end, else null. */
  closedWith: number | null;
}

/** Main thread to viewer thread: count from `at` (ms since the epoch); stop, report and close. */
export type ToViewers = { type: "start"; at: number } | { type: "stop" };

/** Viewer thread to main thread. */
export type FromViewers =
  | { type: "ready"; failed: string[] }
  | { type: "result"; tallies: ViewerTally[]; latency: HistogramData };
