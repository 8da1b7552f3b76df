/** What a flush sent: socket messages (frames and control messages) and their bytes. */
export interface FlushCost {
  messages: number;
  bytes: number;
}

/**
 * What one message and one byte cost to send, as a flush's time (ms) is estimated from them: in Workers the clock
 * does not advance during synchronous work, so a flush cannot time itself. From the app's CPU profile under
 * `npm run bench -- live --profile` (200 viewers; `send` and `deliver` are a third of the app's time): about 20 µs a
 * message and 16 ns a byte under wrangler dev on the 2-core benchmark box.
 */
export const MESSAGE_COST_MS = 0.02;
export const BYTE_COST_MS = 0.000_016;

/** A flush's estimated time. */
export function flushCostMs(cost: FlushCost): number {
  return cost.messages * MESSAGE_COST_MS + cost.bytes * BYTE_COST_MS;
}

/**
 * When an object flushes what it has queued for viewers: coalescing only as much as the load requires. After a
 * flush it waits as long as that flush is estimated to have taken (so fan-out uses at most about half of the
 * object's time), never longer than `maxMs`; what arrives after that wait goes out at once. A point on a quiet
 * board, or on one with few viewers, is sent the moment it arrives; a board with thousands of viewers and a busy
 * stream sends one flush per few milliseconds; `maxMs` bounds the wait (0: always at once). No timer outlives a
 * flush, so an idle object can hibernate.
 */
export class Tick {
  private readonly maxMs: number;
  private readonly flush: () => FlushCost;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private lastFlushAt = Number.NEGATIVE_INFINITY;
  private gapMs = 0;

  constructor(maxMs: number, flush: () => FlushCost) {
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
    this.gapMs = Math.min(this.maxMs, flushCostMs(this.flush()));
  }
}
