import {
  type DataFrame,
  type SeriesDef,
  type SeriesState,
  type StreamPosition,
  seriesName,
} from "../../worker/protocol/index.ts";
import { backoffDelay } from "./backoff.ts";
import type { HistoryAnswer } from "./history-query.ts";
import { type HistoryCoverage, HistorySeam } from "./history-seam.ts";
import type { LiveListener } from "./live-client.ts";
import type { TimeRange } from "./time-range.ts";

/** What the cards hold, for the header. */
export type HistoryStatus =
  | { state: "loading"; range: TimeRange }
  | { state: "ready"; range: TimeRange; stepMs: number }
  | { state: "failed"; range: TimeRange; retryInMs: number };

/** What the sync drives: the board view. */
export interface HistoryView extends LiveListener {
  seriesDefs(): SeriesDef[];
  /** Replaces every card's buckets with the range's history. */
  showHistory(range: TimeRange, answers: readonly HistoryAnswer[]): void;
}

export interface HistorySyncOptions {
  view: HistoryView;
  range: TimeRange;
  load(series: readonly SeriesDef[], range: TimeRange, signal: AbortSignal): Promise<HistoryAnswer[]>;
  /** The live connection's position, null before it has one. */
  livePosition(): StreamPosition | null;
  onStatus(status: HistoryStatus): void;
}

/**
 * Sits between the live client and the board view: loads the selected range's history once the series are known,
 * after a reset and on every range change, and splices the live frames onto it (see `HistorySeam`).
 */
export class HistorySync implements LiveListener {
  private readonly options: HistorySyncOptions;
  private readonly seam = new HistorySeam();
  private range: TimeRange;
  /** A load waits for the series catalog. */
  private due = true;
  private request: AbortController | null = null;
  private retryTimer: ReturnType<typeof setTimeout> | undefined;
  private failures = 0;

  constructor(options: HistorySyncOptions) {
    this.options = options;
    this.range = options.range;
  }

  /** Shows another range: its history, then live points as they come. */
  select(range: TimeRange): void {
    this.range = range;
    void this.load();
  }

  series(series: readonly SeriesState[]): void {
    this.options.view.series(series);
    if (this.due) void this.load();
  }

  frame(frame: DataFrame): void {
    const part = this.seam.live(frame);
    if (part === "reload") void this.load();
    else if (part) this.options.view.frame(part);
  }

  reset(): void {
    this.cancel();
    this.seam.clear();
    this.due = true;
    this.options.view.reset();
  }

  problem(text: string): void {
    this.options.view.problem(text);
  }

  private async load(): Promise<void> {
    this.cancel();
    const series = this.options.view.seriesDefs();
    if (series.length === 0) {
      this.due = true;
      return;
    }
    this.due = false;
    const request = new AbortController();
    this.request = request;
    const range = this.range;
    this.seam.begin();
    this.options.onStatus({ state: "loading", range });
    let answers: HistoryAnswer[];
    try {
      answers = await this.options.load(series, range, request.signal);
    } catch (error) {
      if (!request.signal.aborted) this.retry(`history of ${range.id} failed: ${(error as Error).message}`);
      return;
    }
    // A newer load, a reset or a range change came first.
    if (request.signal.aborted) return;
    this.request = null;
    const settled = this.seam.settle(coverage(answers, series), this.options.livePosition());
    if (settled.reload) {
      this.retry("history and live stream disagree on the board's epoch");
      return;
    }
    this.failures = 0;
    this.options.view.showHistory(range, answers);
    for (const frame of settled.frames) this.options.view.frame(frame);
    this.options.onStatus({ state: "ready", range, stepMs: answers[0]?.step ?? range.stepMs });
  }

  /** Tries again after a backoff; live points meanwhile go to the view as they come. */
  private retry(reason: string): void {
    this.seam.clear();
    this.options.view.problem(reason);
    const delay = backoffDelay(this.failures++);
    this.retryTimer = setTimeout(() => void this.load(), delay);
    this.options.onStatus({ state: "failed", range: this.range, retryInMs: delay });
  }

  private cancel(): void {
    this.request?.abort();
    this.request = null;
    clearTimeout(this.retryTimer);
  }
}

/** The positions each answer includes, for the ids of the series it holds. */
function coverage(answers: readonly HistoryAnswer[], series: readonly SeriesDef[]): HistoryCoverage[] {
  const ids = new Map(series.map((def) => [seriesName(def), def.id]));
  return answers.map((answer) => ({
    positions: answer.positions,
    seriesIds: answer.series.flatMap((history) => ids.get(seriesName(history)) ?? []),
  }));
}
