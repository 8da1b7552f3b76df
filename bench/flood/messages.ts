/** The hostile clients of the flood scenario. */
export type Flood = "none" | "device" | "viewer messages" | "streams and polls" | "poll storm";

/** What the flood thread is asked to run (its `workerData`). */
export interface FloodJob {
  kind: Flood;
  origin: string;
  board: string;
  tokens: { device: string; viewer: string };
}

/** What a flood did: requests or messages sent, refused with 429, sockets closed with 1008. */
export interface FloodCounts {
  sent: number;
  refused: number;
  closed1008: number;
}

/** Main thread to flood thread: report the thread's CPU so far; stop, report and end. */
export type ToFlood = { type: "cpu" } | { type: "stop" };

/** Flood thread to main thread; CPU in microseconds of this thread alone (`process.threadCpuUsage`). */
export type FromFlood =
  | { type: "started" }
  | { type: "cpu"; micros: number }
  | { type: "stopped"; counts: FloodCounts; micros: number };
