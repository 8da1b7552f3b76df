import { remoteWrite } from "../../scripts/real-prometheus.ts";
import { remoteWriteBody } from "../../scripts/remote-write-body.ts";

/** Grafana's default refresh of a live panel: the whole query again, every 5 s. */
export const REFRESH_MS = 5000;
/** The range a panel shows: the last 5 minutes. */
const RANGE_MS = 300_000;

/** What one tick of the bench's ingest writes, as a device would post it: the load's counters and the probe. */
export function tickBody(series: number, ts: number, tick: number): Uint8Array<ArrayBuffer> {
  const load = Array.from({ length: series }, (_, n) => ({
    labels: { __name__: "load", device: "load-gen", n: String(n) },
    samples: [[tick * (n + 1), ts] as const],
  }));
  return remoteWriteBody([
    ...load,
    { labels: { __name__: "probe", device: "probe-dev" }, samples: [[tick, ts]] },
  ]);
}

/** Remote-writes each tick's points into Prometheus. */
export function writeTick(origin: string, series: number, ts: number, tick: number): Promise<void> {
  return remoteWrite(`${origin}/api/v1/write`, tickBody(series, ts, tick));
}

/**
 * A Grafana panel on Prometheus: `query_range` over the last 5 minutes every REFRESH_MS, its range aligned down to
 * the step as Grafana aligns it; `onAnswer` gets the last value of the answer's first series.
 */
export class PollingPanel {
  private timer: ReturnType<typeof setTimeout> | undefined;
  private stopped = false;
  private readonly url: string;
  private readonly expr: string;
  private readonly stepMs: number;
  private readonly onAnswer: (value: number) => void;
  /** Polls that failed or answered no series. */
  failures = 0;

  constructor(origin: string, expr: string, stepMs: number, onAnswer: (value: number) => void) {
    this.url = `${origin}/api/v1/query_range`;
    this.expr = expr;
    this.stepMs = stepMs;
    this.onAnswer = onAnswer;
  }

  /** Polls from `phaseMs` on (panels of different viewers refresh out of phase). */
  start(phaseMs: number): void {
    this.timer = setTimeout(() => void this.poll(), phaseMs);
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  private async poll(): Promise<void> {
    const began = Date.now();
    const end = Math.floor(began / this.stepMs) * this.stepMs;
    const query = new URLSearchParams({
      query: this.expr,
      start: String((end - RANGE_MS) / 1000),
      end: String(end / 1000),
      step: String(this.stepMs / 1000),
    });
    try {
      const response = await fetch(`${this.url}?${query}`);
      const body = (await response.json()) as {
        data?: { result: Array<{ values: Array<[number, string]> }> };
      };
      const last = body.data?.result[0]?.values.at(-1);
      if (response.ok && last) this.onAnswer(Number(last[1]));
      else this.failures++;
    } catch {
      this.failures++;
    }
    if (!this.stopped) this.timer = setTimeout(() => void this.poll(), began + REFRESH_MS - Date.now());
  }
}
