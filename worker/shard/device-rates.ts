/**
 * Fixed-window request counts per device. The board sees every post of its devices, so it can refuse a flooding
 * device without a rate-limiter call on every request. Counts live in memory: an idle board forgets them.
 */
export class DeviceRates {
  private readonly limit: number;
  private readonly windowMs: number;
  private readonly windows = new Map<string, { start: number; count: number }>();

  constructor(limit: number, windowMs: number) {
    this.limit = limit;
    this.windowMs = windowMs;
  }

  /** Counts a request (`cost` of the limit); returns 0 when allowed, else the ms until the device's window ends. */
  take(device: string, now: number, cost = 1): number {
    let window = this.windows.get(device);
    if (!window || now - window.start >= this.windowMs) {
      window = { start: now, count: 0 };
      this.windows.set(device, window);
    }
    if (window.count >= this.limit) return window.start + this.windowMs - now;
    window.count += cost;
    return 0;
  }
}

/** A refused (invalid) request counts this many of its sender's requests: it cost a full read and parse. */
export const REFUSED_REQUEST_COST = 10;
