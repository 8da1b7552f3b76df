import type { ClientMessage } from "../../worker/protocol/index.ts";

/** How often, at most, the dashboard acknowledges frames. */
export const ACK_INTERVAL_MS = 250;

/**
 * Acknowledges applied frames for the server's flow control: at most one `ack` per interval, always carrying the
 * newest seq, so a busy stream costs a few small messages a second and a quiet one none.
 */
export class AckScheduler {
  private readonly send: (text: string) => void;
  private readonly intervalMs: number;
  private pendingSeq: number | null = null;
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(send: (text: string) => void, intervalMs = ACK_INTERVAL_MS) {
    this.send = send;
    this.intervalMs = intervalMs;
  }

  /** Notes that every frame up to `seq` has been applied. */
  applied(seq: number): void {
    this.pendingSeq = seq;
    this.timer ??= setTimeout(() => this.flush(), this.intervalMs);
  }

  private flush(): void {
    this.timer = undefined;
    if (this.pendingSeq === null) return;
    this.send(JSON.stringify({ type: "ack", seq: this.pendingSeq } satisfies ClientMessage));
    this.pendingSeq = null;
  }
}
