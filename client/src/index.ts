/**
 * edgepulse device client: records points, sends them in batches to `POST /api/v1/ingest`, and retries what could
 * not be delivered. No dependencies; runs in Node (18+), browsers and Workers (there, `await client.flush()` inside
 * `ctx.waitUntil`, since timers do not outlive a request).
 *
 * @example
 * const client = new EdgepulseClient({ url: "https://metrics.example.com", token: process.env.EDGEPULSE_TOKEN! });
 * client.record("temp_c", 21.5, { labels: { room: "lab" } });
 * await client.close();
 */
import { backoffDelay, retryAfterMs } from "./backoff.ts";

export { backoffDelay, retryAfterMs };

export type SeriesKind = "gauge" | "counter" | "delta";

/** A point as the ingest API takes it. `ts` (ms since the epoch) is stamped when it is recorded, if not given. */
export interface MetricPoint {
  metric: string;
  value: number;
  ts?: number;
  labels?: Record<string, string>;
  unit?: string;
  kind?: SeriesKind;
}

export interface EdgepulseClientOptions {
  /** Where edgepulse runs, e.g. `https://metrics.example.com`. */
  url: string;
  /** A device token, or a gateway token together with `device`. */
  token: string;
  /** The device a gateway token posts for. */
  device?: string;
  /** A batch is sent once this many points wait (default 1,000; the API takes up to 10,000). */
  maxBatchPoints?: number;
  /** ...or once the oldest waiting point is this old (default 1,000 ms). */
  flushIntervalMs?: number;
  /** Points held while the server cannot be reached; past it the oldest are dropped (default 100,000). */
  maxQueuedPoints?: number;
  /** Backoff between retries: the first wait at most `initial`, doubling up to `max` (defaults 500 ms and 30 s). */
  retryInitialMs?: number;
  retryMaxMs?: number;
  /** Called when the server refuses a batch for good (a 4xx other than 408, 413 and 429); it is dropped. */
  onRejected?: (problem: RejectedBatch) => void;
  /** Another `fetch` (tests, a proxy). */
  fetch?: typeof fetch;
}

export interface RejectedBatch {
  status: number;
  /** The API's error: `{ code, message, path? }`. */
  error: { code: string; message: string; path?: string } | null;
  points: number;
}

/** Counters since the client was created. */
export interface ClientStats {
  /** Points the server stored. */
  delivered: number;
  /** Batches sent again after a network error, 5xx, 408 or 429. */
  retries: number;
  /** Points dropped because the queue was full (oldest first), or still undelivered when `close` gave up. */
  dropped: number;
  /** Points of batches the server refused. */
  rejected: number;
}

interface Batch {
  points: MetricPoint[];
  /** Sent with every attempt: a retry of a batch the server stored is not stored twice. */
  key: string;
}

const RETRYABLE = new Set([408, 429]);

/** Batches, retries and bounds the points of one device (or one gateway device). */
export class EdgepulseClient {
  readonly stats: ClientStats = { delivered: 0, retries: 0, dropped: 0, rejected: 0 };
  private readonly options: Required<Omit<EdgepulseClientOptions, "device" | "onRejected">> &
    Pick<EdgepulseClientOptions, "device" | "onRejected">;
  private queue: MetricPoint[] = [];
  private timer: ReturnType<typeof setTimeout> | undefined;
  /** The batch being delivered, and the loop delivering batches one after another (in order). */
  private sending: Promise<void> | null = null;
  /** The send under way goes on until the queue is empty (a flush or the interval asked), not only full batches. */
  private sendAll = false;
  private closed = false;
  /** Aborted when `close` stops waiting: retries end and what is left counts as dropped. */
  private readonly abandon = new AbortController();

  constructor(options: EdgepulseClientOptions) {
    this.options = {
      maxBatchPoints: 1000,
      flushIntervalMs: 1000,
      maxQueuedPoints: 100_000,
      retryInitialMs: 500,
      retryMaxMs: 30_000,
      fetch: globalThis.fetch.bind(globalThis),
      ...options,
      url: options.url.replace(/\/+$/, ""),
    };
  }

  /** Records one value of a metric now (or at `ts`). */
  record(metric: string, value: number, extra: Omit<MetricPoint, "metric" | "value"> = {}): void {
    this.add({ metric, value, ...extra });
  }

  /** Queues a point; a full batch is sent at once, others within `flushIntervalMs`. */
  add(point: MetricPoint): void {
    if (this.closed) throw new Error("the client is closed");
    this.queue.push(point.ts === undefined ? { ...point, ts: Date.now() } : point);
    const overflow = this.queue.length - this.options.maxQueuedPoints;
    if (overflow > 0) {
      this.queue.splice(0, overflow);
      this.stats.dropped += overflow;
    }
    if (this.queue.length >= this.options.maxBatchPoints) this.startSending(false);
    else this.armTimer();
  }

  private armTimer(): void {
    this.timer ??= setTimeout(() => {
      this.timer = undefined;
      this.startSending(true);
    }, this.options.flushIntervalMs);
  }

  /** Sends everything recorded so far; resolves once it is delivered, refused or dropped. */
  async flush(): Promise<void> {
    while (this.queue.length > 0 || this.sending) {
      this.startSending(true);
      await this.sending;
    }
  }

  /**
   * Refuses further points and flushes; after `timeoutMs` (default: no limit) it stops retrying, counting what was
   * not delivered as dropped.
   */
  async close(timeoutMs = Number.POSITIVE_INFINITY): Promise<void> {
    this.closed = true;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const deadline = new Promise<void>((resolve) => {
      if (Number.isFinite(timeoutMs)) timer = setTimeout(resolve, timeoutMs);
    });
    await Promise.race([this.flush(), deadline]);
    clearTimeout(timer);
    this.abandon.abort();
    await this.sending;
    this.stats.dropped += this.queue.length;
    this.queue = [];
  }

  /** Starts sending full batches, or (`all`) everything queued, unless a send is under way. */
  private startSending(all: boolean): void {
    if (all) {
      this.sendAll = true;
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    this.sending ??= this.drain().finally(() => {
      this.sending = null;
      this.sendAll = false;
      // A partial batch left behind waits for its interval.
      if (this.queue.length > 0 && !this.abandon.signal.aborted) this.armTimer();
    });
  }

  private async drain(): Promise<void> {
    const full = () => this.queue.length >= this.options.maxBatchPoints;
    while ((full() || (this.sendAll && this.queue.length > 0)) && !this.abandon.signal.aborted) {
      const points = this.queue.splice(0, this.options.maxBatchPoints);
      await this.deliver({ points, key: crypto.randomUUID() });
    }
  }

  /** Sends a batch until it is stored or refused for good, waiting between attempts. */
  private async deliver(batch: Batch): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      if (this.abandon.signal.aborted) {
        this.stats.dropped += batch.points.length;
        return;
      }
      const outcome = await this.attempt(batch);
      if (outcome === "done") return;
      if (typeof outcome === "object") {
        // Too large: two halves, each its own request.
        const half = Math.ceil(batch.points.length / 2);
        await this.deliver({ points: batch.points.slice(0, half), key: crypto.randomUUID() });
        await this.deliver({ points: batch.points.slice(half), key: crypto.randomUUID() });
        return;
      }
      this.stats.retries++;
      const backoff = backoffDelay(attempt, this.options.retryInitialMs, this.options.retryMaxMs);
      await this.pause(Math.max(backoff, outcome));
    }
  }

  /** Waits `ms`, or less when `close` gives up. */
  private pause(ms: number): Promise<void> {
    const signal = this.abandon.signal;
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        signal.removeEventListener("abort", done);
        resolve();
      }
      signal.addEventListener("abort", done, { once: true });
    });
  }

  /** One request: "done", a split request (413), or how long at least to wait before retrying. */
  private async attempt(batch: Batch): Promise<"done" | { split: true } | number> {
    let response: Response;
    try {
      response = await this.options.fetch(`${this.options.url}/api/v1/ingest`, {
        method: "POST",
        signal: this.abandon.signal,
        headers: {
          authorization: `Bearer ${this.options.token}`,
          "content-type": "application/json",
          "idempotency-key": batch.key,
        },
        body: JSON.stringify({
          ...(this.options.device ? { device: this.options.device } : {}),
          points: batch.points,
        }),
      });
    } catch {
      return 0;
    }
    const text = await response.text().catch(() => "");
    if (response.ok) {
      this.stats.delivered += batch.points.length;
      return "done";
    }
    if (response.status >= 500 || RETRYABLE.has(response.status))
      return retryAfterMs(response.headers.get("retry-after")) ?? 0;
    if (response.status === 413 && batch.points.length > 1) return { split: true };
    this.stats.rejected += batch.points.length;
    let error: RejectedBatch["error"] = null;
    try {
      error = (JSON.parse(text) as { error: RejectedBatch["error"] }).error;
    } catch {
      // Not our JSON: a proxy's page, say.
    }
    this.options.onRejected?.({ status: response.status, error, points: batch.points.length });
    return "done";
  }
}
