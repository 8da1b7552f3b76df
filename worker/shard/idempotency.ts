import type { BatchLog } from "./batch-log.ts";

/** A request stored under an idempotency key: what a repeat of it is answered. */
export interface KeptRequest {
  seq: number;
  hash: string;
  accepted: number;
  receivedAt: number;
}

/** Repeats are recognised for this long after the first request... */
export const IDEMPOTENCY_WINDOW_MS = 10 * 60_000;
/** ...and for at most this many keys per board (the oldest go first), which bounds memory. */
export const MAX_IDEMPOTENCY_KEYS = 100_000;

/**
 * Idempotency keys of recent requests. Each key is stored in its batch's log row, in the same write, so the memory
 * index is rebuilt from the log after a wake or a crash: a request whose answer was lost is recognised when the
 * client sends it again.
 */
export class IdempotencyKeys {
  private readonly kept = new Map<string, KeptRequest>();

  constructor(log: BatchLog, now: number) {
    for (const row of log.readKeyed(now - IDEMPOTENCY_WINDOW_MS)) this.remember(row.key, row);
  }

  /** The request stored under `key` within the window at `now`, if any. */
  find(key: string, now: number): KeptRequest | undefined {
    const kept = this.kept.get(key);
    return kept && now - kept.receivedAt < IDEMPOTENCY_WINDOW_MS ? kept : undefined;
  }

  remember(key: string, request: KeptRequest): void {
    this.kept.delete(key);
    this.kept.set(key, request);
    // A Map iterates in insertion order: the first entries are the oldest.
    for (const [oldest, kept] of this.kept) {
      if (
        this.kept.size <= MAX_IDEMPOTENCY_KEYS &&
        request.receivedAt - kept.receivedAt < IDEMPOTENCY_WINDOW_MS
      )
        break;
      this.kept.delete(oldest);
    }
  }
}
