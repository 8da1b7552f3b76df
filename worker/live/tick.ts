/**
 * What sending one message costs the object, as a flush's time is estimated from the messages it sent: in Workers
 * the clock does not advance during synchronous work, so a flush cannot time itself. 34–41 µs of app CPU per
 * WebSocket message (`deliver` and `send`) under wrangler dev on the 2-core benchmark box, at 200 and 1,000 viewers
 * (`npm run bench -- live --profile`). Bytes are not counted: coalescing saves per-message work only, a byte costs
 * the same in one frame or in two.
 */
export const MESSAGE_COST_MS = 0.035;

/**
 * When an object flushes what it has queued for viewers: coalescing only as much as the load requires. After a
 * flush it waits as long as that flush's messages are estimated to have taken (so per-message work uses at most
 * about half of the object's time), never longer than `maxMs`; what arrives after that wait goes out at once. A
 * point on a quiet board, or on one with tens of viewers, is sent the moment it arrives; behind a flush to 200
 * viewers a batch waits at most 7 ms, behind one to thousands a few tens; 0 sends everything at once. No timer
 * outlives a flush, so an idle object can hibernate.
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
    this.gapMs = Math.min(this.maxMs, this.flush() * MESSAGE_COST_MS);
  }
}
