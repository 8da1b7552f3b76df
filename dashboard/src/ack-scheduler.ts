import type { ClientMessage } from "../../worker/protocol/index.ts";

/** How often, at most, the dashboard acknowledges frames. */
export const ACK_INTERVAL_MS = 250;

/**
 * Acknowledges processed frames for the server's flow control: at most one `ack` per interval, carrying how many
 * frames this connection has processed, so a busy stream costs a few small messages a second and a quiet one none.
 */
export class AckScheduler {
  private readonly send: (text: string) => void;
  private readonly intervalMs: number;
  private frames = 0;
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
    this.pending = false;
  }

  /** Notes that one more frame has been processed. */
  processed(): void {
    this.frames++;
    this.pending = true;
    this.timer ??= setTimeout(() => this.flush(), this.intervalMs);
  }

  private flush(): void {
    this.timer = undefined;
    if (!this.pending) return;
    this.send(JSON.stringify({ type: "ack", frames: this.frames } satisfies ClientMessage));
    this.pending = false;
  }
}
