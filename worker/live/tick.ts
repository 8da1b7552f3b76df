/**
 * When a hub flushes what it has queued for viewers: at most once per tick (`tickMs`, 0 = at once). Data arriving
 * after a quiet tick goes out at once; data arriving within a tick of the last flush waits for the tick's end. No
 * timer outlives a flush, so an idle object can hibernate.
 */
export class Tick {
  private readonly tickMs: number;
  private readonly flush: () => void;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private lastFlushAt = 0;

  constructor(tickMs: number, flush: () => void) {
    this.tickMs = tickMs;
    this.flush = flush;
  }

  /** Asks for a flush: now when the last was a tick ago, else at the tick's end. */
  schedule(): void {
    if (this.timer !== undefined) return;
    const wait = this.lastFlushAt + this.tickMs - Date.now();
    if (wait <= 0) this.run();
    else this.timer = setTimeout(() => this.run(), wait);
  }

  /** Flushes now (a history query needs everything sent first). */
  run(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.lastFlushAt = Date.now();
    this.flush();
  }
}
