import { INGEST_LIMITS } from "../ingest/limits.ts";
import {
  type Aggregate,
  type PartialSeries,
  PromQLError,
  type PromQLErrorType,
  partialAggregates,
  type Steps,
} from "../promql/index.ts";
import type { LabelMatcher, SelectHints, SeriesSamples } from "../promql/querier.ts";
import type { BatchLog } from "./batch-log.ts";
import { type LabelledSeries, matchingSeries } from "./promql-labels.ts";
import { readWindowSamples } from "./raw-window.ts";
import { RESOLUTIONS } from "./resolutions.ts";
import { type BucketField, readBucketSamples } from "./rollup-samples.ts";
import type { Rollups } from "./rollups.ts";
import type { SeriesCatalog } from "./series-catalog.ts";

/** What the hub asks a shard for one selector: the engine's matchers and hints, and what the query may still load. */
export interface ShardSelectRequest {
  matchers: LabelMatcher[];
  hints: SelectHints;
  /** The time the hub judges retention by, the same for every shard. */
  now: number;
  maxSeries: number;
  maxSamples: number;
}

/** Where a selection was read from: the raw log or a rollup resolution. */
export type SampleSource = "raw" | (typeof RESOLUTIONS)[number]["name"];

export type ShardSelectAnswer =
  | { series: SeriesSamples[]; source: SampleSource }
  /** A limit was passed: how many series matched, or how many samples were loaded when it stopped. */
  | { exceeded: "series" | "samples"; count: number };

/**
 * The rollup aggregate a range function reads beyond the raw window (as Thanos serves downsampled data): the
 * extremes and sums of a bucket answer `max_`, `min_`, `sum_` and `avg_over_time` as the raw points would (avg
 * weighed by each bucket's count, see WEIGHED); everything else, counters included, reads each bucket's last point.
 */
const AGGREGATE_OF: Record<string, BucketField> = {
  max_over_time: "max",
  min_over_time: "min",
  avg_over_time: "avg",
  sum_over_time: "sum",
};

/** Functions that read each bucket's count of points with its value (`SeriesSamples.counts`). */
const WEIGHED = new Set(["count_over_time", "avg_over_time"]);

/**
 * The rollup resolution serving a selection outside the raw window: the coarsest whose buckets are no wider than
 * the step and a fifth of the range (so `rate(x[5m])` sees five points), among those whose retention covers the
 * start; when none is that fine, the finest that covers it; past every retention the coarsest.
 */
export function rollupResolution(hints: SelectHints, now: number): number {
  const all = RESOLUTIONS.map((_, r) => r);
  const covers = (r: number) => hints.start >= now - RESOLUTIONS[r]!.retentionMs;
  const fits = (r: number) => {
    const { ms } = RESOLUTIONS[r]!;
    return ms <= Math.max(hints.step, RESOLUTIONS[0]!.ms) && (hints.range === 0 || ms * 5 <= hints.range);
  };
  return all.filter((r) => covers(r) && fits(r)).at(-1) ?? all.find(covers) ?? all.at(-1)!;
}

/**
 * Whether the raw log holds every point with a timestamp at or after `start`: nothing was ever dropped from it, or
 * its oldest batch was received before any such point could be (a point arrives at most maxFutureMs before its
 * timestamp).
 */
export function rawCovers(log: BatchLog, start: number): boolean {
  const first = log.firstSeq();
  if (first === null || first === 1) return true;
  return (log.oldestReceivedAt() ?? Number.POSITIVE_INFINITY) <= start - INGEST_LIMITS.maxFutureMs;
}

class SampleBudget {
  loaded = 0;
  private readonly max: number;
  constructor(max: number) {
    this.max = max;
  }
  take(n: number): boolean {
    this.loaded += n;
    return this.loaded <= this.max;
  }
}

/**
 * Points of the selected series in [start, end] as the raw log holds them, markers flagged, read from the log or
 * rebuilt from 1 s buckets where that is cheaper (see `readWindowSamples`).
 */
function fromRaw(
  stores: SampleStores,
  selected: LabelledSeries[],
  start: number,
  end: number,
  budget: SampleBudget,
): SeriesSamples[] | null {
  const ids = selected.map((s) => s.def.id);
  const raw = readWindowSamples(stores, ids, start, end, (n) => budget.take(n));
  return (
    raw?.map(({ timestamps, values, stale }, i) => ({
      labels: selected[i]!.labels,
      timestamps,
      values,
      stale,
    })) ?? null
  );
}

/** A shard's stores, and how long the raw log keeps batches (the raw window). */
export interface SampleStores {
  catalog: SeriesCatalog;
  rollups: Rollups;
  log: BatchLog;
  rawWindowMs: number;
}

/**
 * Answers one selector for this shard's series: every series its matchers match, with samples in
 * [hints.start, hints.end]. They come from the raw log (exact) when the log holds every point from the start on
 * and the selection spans at most twice its retention (an hour of steps and a range or lookback of up to an hour
 * more); else from a rollup (see `rollupResolution`), so a 7-day panel reads 1-minute buckets, not raw points.
 * Stops early once the series or samples passed the request's limits.
 */
export function selectSamples(request: ShardSelectRequest, stores: SampleStores): ShardSelectAnswer {
  const { catalog, rollups, log } = stores;
  const { hints } = request;
  const selected = matchingSeries(catalog, [request.matchers]);
  if (selected.length > request.maxSeries) return { exceeded: "series", count: selected.length };
  if (selected.length === 0) return { series: [], source: "raw" };
  const budget = new SampleBudget(request.maxSamples);
  if (hints.end - hints.start <= 2 * stores.rawWindowMs && rawCovers(log, hints.start)) {
    const series = fromRaw(stores, selected, hints.start, hints.end, budget);
    return series ? { series, source: "raw" } : { exceeded: "samples", count: budget.loaded };
  }
  const r = rollupResolution(hints, request.now);
  const ids = selected.map((s) => s.def.id);
  const field = (hints.func && AGGREGATE_OF[hints.func]) || "last";
  const weighed = hints.func !== undefined && WEIGHED.has(hints.func);
  const buckets = readBucketSamples(rollups, r, ids, hints.start, hints.end, field, weighed);
  const series = selected.map(({ labels }, i) => ({ labels, ...buckets[i]! }));
  if (!budget.take(series.reduce((n, s) => n + s.timestamps.length, 0)))
    return { exceeded: "samples", count: budget.loaded };
  return { series, source: RESOLUTIONS[r]!.name };
}

/** What the hub asks a shard for a pushed-down aggregation (see `Querier.aggregate`). */
export interface ShardAggregateRequest {
  parts: Aggregate[];
  steps: Steps;
  now: number;
  maxSeries: number;
  maxSamples: number;
  timeoutMs: number;
}

export type ShardAggregateAnswer =
  | {
      parts: PartialSeries[][];
      sources: SampleSource[];
      /** Samples the shard loaded, and series each of its selections matched (in the order it selected). */
      samples: number;
      seriesPerSelection: number[];
    }
  | { exceeded: "series" | "samples"; count: number }
  | { error: { errorType: PromQLErrorType; message: string } };

/** Thrown out of the engine when a selection passed a limit, to answer `exceeded`. */
class Exceeded extends Error {
  readonly answer: { exceeded: "series" | "samples"; count: number };
  constructor(answer: { exceeded: "series" | "samples"; count: number }) {
    super(answer.exceeded);
    this.answer = answer;
  }
}

/**
 * Evaluates the parts of a pushed-down aggregation over this shard's series with the engine (see
 * `partialAggregates`), each selection answered as `selectSamples` answers the hub; limits and engine errors
 * become answers.
 */
export async function aggregateOnShard(
  request: ShardAggregateRequest,
  stores: SampleStores,
): Promise<ShardAggregateAnswer> {
  const sources: SampleSource[] = [];
  const seriesPerSelection: number[] = [];
  let samples = 0;
  const querier = {
    async select(matchers: readonly LabelMatcher[], hints: SelectHints): Promise<SeriesSamples[]> {
      const { now, maxSeries, maxSamples } = request;
      const answer = selectSamples(
        { matchers: [...matchers], hints, now, maxSeries, maxSamples: maxSamples - samples },
        stores,
      );
      if ("exceeded" in answer) throw new Exceeded(answer);
      for (const s of answer.series) samples += s.timestamps.length;
      seriesPerSelection.push(answer.series.length);
      if (answer.series.length > 0 && !sources.includes(answer.source)) sources.push(answer.source);
      return answer.series;
    },
  };
  try {
    const parts = await partialAggregates(querier, request.parts, request.steps, {
      timeoutMs: request.timeoutMs,
      maxSamples: request.maxSamples,
    });
    return { parts, sources, samples, seriesPerSelection };
  } catch (error) {
    if (error instanceof Exceeded) return error.answer;
    if (error instanceof PromQLError)
      return { error: { errorType: error.errorType, message: error.message } };
    throw error;
  }
}
