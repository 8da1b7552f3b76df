import { ApiError } from "./errors.ts";

const JITTER_SECONDS = 5;

/**
 * A Retry-After of `seconds` plus up to 4 s more: clients that honour it then come back spread out, not all at the
 * same instant (loops refused together would otherwise return together, as one wave).
 */
export function jitteredRetryAfter(seconds: number): string {
  return String(Math.ceil(seconds) + Math.floor(Math.random() * JITTER_SECONDS));
}

/**
 * What this isolate was told to refuse for a while: a device its shard rate-limited, a viewer credential its hub
 * capped. Until the Retry-After passes, the Worker answers 429 itself, before reading a body or calling an object,
 * so a client that ignores Retry-After costs a map lookup per request instead of a parse and an RPC.
 */
export class RefusalMemo {
  private readonly until = new Map<string, { at: number; code: string; message: string }>();
  private readonly maxEntries: number;

  constructor(maxEntries = 10_000) {
    this.maxEntries = maxEntries;
  }

  /** Throws the remembered 429 while `key` is still refused. */
  check(key: string, now = Date.now()): void {
    const refusal = this.until.get(key);
    if (!refusal) return;
    if (refusal.at <= now) {
      this.until.delete(key);
      return;
    }
    const retryAfter = jitteredRetryAfter((refusal.at - now) / 1000);
    throw new ApiError(429, refusal.code, refusal.message, undefined, { "retry-after": retryAfter });
  }

  /** Refuses `key` for `seconds` with the answer an object gave. */
  remember(key: string, seconds: number, code: string, message: string, now = Date.now()): void {
    if (!(seconds > 0)) return;
    if (this.until.size >= this.maxEntries) this.until.clear();
    this.until.set(key, { at: now + seconds * 1000, code, message });
  }
}
