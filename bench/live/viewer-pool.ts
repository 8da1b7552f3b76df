import { Worker } from "node:worker_threads";
import { Histogram } from "../lib/histogram.ts";
import type { FromViewers, ToViewers, ViewerJob, ViewerTally } from "./messages.ts";

/** What all viewers received, with the connections that failed to open. */
export interface PoolResult {
  tallies: ViewerTally[];
  latency: Histogram;
  failedToOpen: string[];
}

function nextMessage(worker: Worker): Promise<FromViewers> {
  return new Promise((resolve, reject) => {
    const onError = (error: Error) => reject(error);
    worker.once("error", onError);
    worker.once("message", (message: FromViewers) => {
      worker.off("error", onError);
      resolve(message);
    });
  });
}

/** Viewers split evenly over worker threads (one per core by default), driven from the main thread. */
export class ViewerPool {
  private readonly workers: Worker[];
  private readonly failedToOpen: string[];

  private constructor(workers: Worker[], failedToOpen: string[]) {
    this.workers = workers;
    this.failedToOpen = failedToOpen;
  }

  /** Starts the threads and resolves once every viewer is connected and greeted (or failed to be). */
  static async open(job: Omit<ViewerJob, "count">, count: number, threads: number): Promise<ViewerPool> {
    const n = Math.min(threads, count);
    const shares = Array.from({ length: n }, (_, i) => Math.floor((count + i) / n));
    const workers = shares.map(
      (share) =>
        new Worker(new URL("./viewer-thread.ts", import.meta.url), { workerData: { ...job, count: share } }),
    );
    const ready = await Promise.all(workers.map(nextMessage));
    return new ViewerPool(
      workers,
      ready.flatMap((message) => (message.type === "ready" ? message.failed : [])),
    );
  }

  /** Viewers count what they receive from `at` (ms since the epoch) on. */
  start(at: number): void {
    for (const worker of this.workers) worker.postMessage({ type: "start", at } satisfies ToViewers);
  }

  /** Stops counting, collects every viewer's tally and ends the threads. */
  async stop(): Promise<PoolResult> {
    const results = await Promise.all(
      this.workers.map((worker) => {
        const result = nextMessage(worker);
        worker.postMessage({ type: "stop" } satisfies ToViewers);
        return result;
      }),
    );
    const latency = new Histogram();
    const tallies: ViewerTally[] = [];
    for (const result of results) {
      if (result.type !== "result") continue;
      latency.merge(result.latency);
      tallies.push(...result.tallies);
    }
    await Promise.all(this.workers.map((worker) => worker.terminate()));
    return { tallies, latency, failedToOpen: this.failedToOpen };
  }
}
