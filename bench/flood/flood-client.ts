import { Worker } from "node:worker_threads";
import type { FloodCounts, FloodJob, FromFlood, ToFlood } from "./messages.ts";

/** A hostile client running in its own thread (see `flood-thread.ts`), driven from the main thread. */
export class FloodThread {
  private readonly worker: Worker;

  private constructor(worker: Worker) {
    this.worker = worker;
  }

  /** Starts the flood; resolves once its thread runs it. */
  static async start(job: FloodJob): Promise<FloodThread> {
    const thread = new FloodThread(
      new Worker(new URL("./flood-thread.ts", import.meta.url), { workerData: job }),
    );
    await thread.next();
    return thread;
  }

  /** CPU the flood's thread has used so far, in microseconds. */
  async cpuMicros(): Promise<number> {
    const answer = this.next();
    this.worker.postMessage({ type: "cpu" } satisfies ToFlood);
    const message = await answer;
    if (message.type !== "cpu") throw new Error(`flood thread answered ${message.type}`);
    return message.micros;
  }

  /** Stops the flood and ends its thread; tells what it did. */
  async stop(): Promise<FloodCounts> {
    const answer = this.next();
    this.worker.postMessage({ type: "stop" } satisfies ToFlood);
    const message = await answer;
    if (message.type !== "stopped") throw new Error(`flood thread answered ${message.type}`);
    await this.worker.terminate();
    return message.counts;
  }

  private next(): Promise<FromFlood> {
    return new Promise((resolve, reject) => {
      const onError = (error: Error) => reject(error);
      this.worker.once("error", onError);
      this.worker.once("message", (message: FromFlood) => {
        this.worker.off("error", onError);
        resolve(message);
      });
    });
  }
}
