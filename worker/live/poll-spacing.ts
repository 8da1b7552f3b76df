/**
 * The least time between two answers to one credential's long polls. A poll from behind is answered at once with a
 * replay from the shards' logs; a client re-polling from an old position in several loops would otherwise make the
 * object replay as fast as it can. A poller that keeps up waits for new batches anyway, so it never notices.
 */
export class PollSpacing {
  private readonly gapMs: number;
  private readonly lastAnswer = new Map<string, number>();

  constructor(gapMs: number) {
    this.gapMs = gapMs;
  }

  /** Waits until `credential` may be answered again. */
  async turn(credential: string): Promise<void> {
    const wait = (this.lastAnswer.get(credential) ?? Number.NEGATIVE_INFINITY) + this.gapMs - Date.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
  }

  /** Notes that `credential` was just answered. */
  answered(credential: string): void {
    if (this.lastAnswer.size >= 10_000) this.lastAnswer.clear();
    this.lastAnswer.set(credential, Date.now());
  }
}

/** At most four answers a second per credential. */
export const POLL_ANSWER_GAP_MS = 250;
