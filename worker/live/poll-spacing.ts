/**
 * The least time between two of one credential's long polls being served. A poll from behind is answered at once
 * with a replay from the shards' logs; a client re-polling from an old position in several loops would otherwise make
 * the object replay as fast as it can. A poller that keeps up waits for new batches anyway, so it never notices.
 */
export class PollSpacing {
  private readonly gapMs: number;
  /** Per credential, the earliest time its next poll may be served. */
  private readonly next = new Map<string, number>();

  constructor(gapMs: number) {
    this.gapMs = gapMs;
  }

  /** Waits for `credential`'s next turn, and takes it (concurrent polls get successive turns). */
  async turn(credential: string): Promise<void> {
    const now = Date.now();
    const at = Math.max(now, this.next.get(credential) ?? now);
    if (this.next.size >= 10_000) this.next.clear();
    this.next.set(credential, at + this.gapMs);
    if (at > now) await new Promise((resolve) => setTimeout(resolve, at - now));
  }
}

/** At most four polls served a second per credential. */
export const POLL_ANSWER_GAP_MS = 250;
