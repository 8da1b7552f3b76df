/**
 * How long an object waits, per message a flush sent, before it flushes again (the clock does not advance during
 * synchronous work in Workers, so a flush cannot time itself). A message costs 35–40 µs of app CPU in all, most of
 * it the runtime's after the flush returns; waiting that long doubled the p99 at 200 viewers (README, "Live").
 * Bytes are not counted: a byte costs the same in one frame or in two.
 */
export const WAIT_PER_MESSAGE_MS = 0.01;

/**
 * When an object flushes what it has queued for viewers: coalescing only as much as the load requires. After a
 * flush it waits `WAIT_PER_MESSAGE_MS` per message that flush sent, never longer than `maxMs`; what arrives after
 * that wait goes out at once. A point on a quiet board, or on one with hundreds of viewers, is sent the moment it
 * arrives (behind a flush to 200 viewers a batch waits at most 2 ms); a hub with thousands of viewers sends a
 * flush every few tens of milliseconds; 0 sends everything at once. No timer outlives a flush, so an idle object
 * can hibernate.
 */
export class Tick {
  private readonly maxMs: number;
  private readonly flush: () => number;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private lastFlushAt = Number.NEGATIVE_INFINITY;
  private gapMs = 0;

  /** `flush` sends what is queued and returns how many messages it sent. */
  constructor(maxMs: number, flush: () => number) {
    this.maxMs = maxMs;
    this.flush = flush;
  }

  /** The wait the last flush asked for before the next one (ms). */
  get currentGapMs(): number {
    return this.gapMs;
  }

  /** Asks for a flush: now when the last one's wait has passed, else when it does. */
  schedule(): void {
    if (this.timer !== undefined) return;
    const wait = this.lastFlushAt + this.gapMs - Date.now();
    if (wait <= 0) this.run();
    else this.timer = setTimeout(() => this.run(), wait);
  }

  /** Flushes now (a history query needs everything sent first). */
  run(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.lastFlushAt = Date.now();
    this.gapMs = Math.min(this.maxMs, this.flush() * WAIT_PER_MESSAGE_MS);
  }
}
