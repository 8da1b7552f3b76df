import { type ClientMessage, isLiveQueryAnswer } from "../../worker/protocol/index.ts";

/** How often, at most, the dashboard acknowledges frames. */
export const ACK_INTERVAL_MS = 250;

/**
 * Acknowledges processed frames and live query answers for the server's flow control: at most one `ack` per interval,
 * carrying how many of each this connection has processed, so a busy stream costs a few small messages a second and a
 * quiet one none.
 */
export class AckScheduler {
  private readonly send: (text: string) => void;
  private readonly intervalMs: number;
  private frames = 0;
  private results = 0;
  private pending = false;
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(send: (text: string) => void, intervalMs = ACK_INTERVAL_MS) {
    this.send = send;
    this.intervalMs = intervalMs;
  }

  /** A new connection: its frames are counted from zero. */
  connected(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.frames = 0;
    this.results = 0;
    this.pending = false;
  }

  /** Notes that one more message has been processed: a frame, or a text message (counted if a live query answer). */
  processed(data: string | ArrayBuffer | Uint8Array): void {
    if (typeof data !== "string") this.frames++;
    else if (isLiveQueryAnswer(data)) this.results++;
    else return;
    this.pending = true;
    this.timer ??= setTimeout(() => this.flush(), this.intervalMs);
  }

  private flush(): void {
    this.timer = undefined;
    if (!this.pending) return;
    this.send(
      JSON.stringify({ type: "ack", frames: this.frames, results: this.results } satisfies ClientMessage),
    );
    this.pending = false;
  }
}
