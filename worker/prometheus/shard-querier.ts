import { shardOfSid } from "../board/shards.ts";
import {
  type Aggregate,
  type LabelMatcher,
  labelsKey,
  type PartialSeries,
  PromQLError,
  type Querier,
  type SelectHints,
  type SeriesSamples,
  type Steps,
} from "../promql/index.ts";
import type {
  ShardAggregateAnswer,
  ShardAggregateRequest,
  ShardSelectAnswer,
  ShardSelectRequest,
} from "../shard/promql-select.ts";

/** How a query reaches one shard (its Durable Object stub in production). */
export interface QueriedShard {
  sid: number;
  promqlSelect(request: ShardSelectRequest): Promise<ShardSelectAnswer & { rowsRead: number }>;
  promqlAggregate(request: ShardAggregateRequest): Promise<ShardAggregateAnswer & { rowsRead: number }>;
}

/** What one query cost: SQLite rows its shards read, bytes they sent the hub, samples and series loaded. */
export interface QueryCost {
  rowsRead: number;
  bytesMoved: number;
  samples: number;
  series: number;
  /** Selector calls times shards asked. */
  shardCalls: number;
  /** Where the samples came from (`raw`, `1s`, `1m`, `1h`), each once. */
  sources: string[];
  /** Wall time spent waiting for shards and merging their answers, ms (the rest of a query is the engine's). */
  selectMs: number;
}

/** Sees each selection a query made, with the series storage answered (a live query seeds its memory from them). */
export type SelectTap = (
  matchers: readonly LabelMatcher[],
  hints: SelectHints,
  series: readonly SeriesSamples[],
) => void;

export interface SelectLimits {
  /** Series one selector may match over the board. */
  maxSeriesPerSelector: number;
  /** Samples all of a query's selectors may load. */
  maxSamples: number;
  /** Wall time a shard may evaluate a pushed-down aggregation, ms. */
  timeoutMs: number;
}

/**
 * One series' samples from two shards (a device moved when the layout changed): merged in time order, markers and
 * rollup counts kept.
 */
function mergeSamples(a: SeriesSamples, b: SeriesSamples): SeriesSamples {
  const points = (s: SeriesSamples) =>
    [...s.timestamps.keys()].map(
      (k) => [s.timestamps[k]!, s.values[k]!, s.stale?.[k] ?? 0, s.counts?.[k] ?? 1] as const,
    );
  const order = [...points(a), ...points(b)].sort((x, y) => x[0] - y[0]);
  const kept = order.filter((point, n) => n === 0 || point[0] !== order[n - 1]![0]);
  const merged: SeriesSamples = {
    labels: a.labels,
    timestamps: Float64Array.from(kept, (p) => p[0]),
    values: Float64Array.from(kept, (p) => p[1]),
    ...(a.stale || b.stale ? { stale: Uint8Array.from(kept, (p) => p[2]) } : {}),
  };
  return a.counts || b.counts ? { ...merged, counts: Float64Array.from(kept, (p) => p[3]) } : merged;
}

/**
 * The engine's storage for one query: each selector goes to every shard of the board, which filters its own series
 * by the matchers and its samples by the range (raw log or rollup, see `selectSamples`); the answers are merged here
 * and what they cost is counted. Past a limit it throws Prometheus's execution error. While every shard is of one
 * layout (each series on one shard) aggregations are pushed down: each shard evaluates its partial groups
 * (`aggregateOnShard`) and only those travel.
 */
export class ShardQuerier implements Querier {
  readonly cost: QueryCost = {
    rowsRead: 0,
    bytesMoved: 0,
    samples: 0,
    series: 0,
    shardCalls: 0,
    sources: [],
    selectMs: 0,
  };
  readonly aggregate?: (parts: readonly Aggregate[], steps: Steps) => Promise<PartialSeries[][]>;
  private readonly shards: QueriedShard[];
  private readonly now: number;
  private readonly limits: SelectLimits;
  private readonly tap: SelectTap | undefined;

  constructor(shards: QueriedShard[], now: number, limits: SelectLimits, tap?: SelectTap) {
    this.shards = shards;
    this.now = now;
    this.limits = limits;
    this.tap = tap;
    // After the shard count changed, a device's series may be on a shard of each layout: partials would not add up.
    // A tap must see every selection's samples, so nothing is aggregated on the shards then.
    if (!tap && new Set(shards.map((shard) => shardOfSid(shard.sid).n)).size <= 1)
      this.aggregate = (parts, steps) => this.aggregateOnShards(parts, steps);
  }

  async select(matchers: readonly LabelMatcher[], hints: SelectHints): Promise<SeriesSamples[]> {
    const { maxSeriesPerSelector, maxSamples } = this.limits;
    const request: ShardSelectRequest = {
      matchers: matchers.map((m) => ({ name: m.name, type: m.type, value: m.value })),
      hints: { ...hints },
      now: this.now,
      maxSeries: maxSeriesPerSelector,
      maxSamples: maxSamples - this.cost.samples,
    };
    const started = Date.now();
    try {
      const series = this.merge(await Promise.all(this.shards.map((shard) => shard.promqlSelect(request))));
      this.tap?.(matchers, hints, series);
      return series;
    } finally {
      this.cost.selectMs += Date.now() - started;
    }
  }

  private async aggregateOnShards(parts: readonly Aggregate[], steps: Steps): Promise<PartialSeries[][]> {
    const { maxSeriesPerSelector, maxSamples, timeoutMs } = this.limits;
    const request: ShardAggregateRequest = {
      parts: [...parts],
      steps: { ...steps },
      now: this.now,
      maxSeries: maxSeriesPerSelector,
      maxSamples: maxSamples - this.cost.samples,
      timeoutMs,
    };
    const started = Date.now();
    try {
      const answers = await Promise.all(this.shards.map((shard) => shard.promqlAggregate(request)));
      return this.mergePartials(answers);
    } finally {
      this.cost.selectMs += Date.now() - started;
    }
  }

  /** The shards' partial groups, part by part; counts their cost and checks the limits. */
  private mergePartials(answers: Array<ShardAggregateAnswer & { rowsRead: number }>): PartialSeries[][] {
    const merged: PartialSeries[][] = [];
    const seriesPerSelection: number[] = [];
    for (const answer of answers) {
      this.cost.shardCalls++;
      this.cost.rowsRead += answer.rowsRead;
      if ("exceeded" in answer) throw this.exceeded(answer.exceeded);
      if ("error" in answer) throw new PromQLError(answer.error.errorType, answer.error.message);
      for (const source of answer.sources)
        if (!this.cost.sources.includes(source)) this.cost.sources.push(source);
      this.cost.samples += answer.samples;
      answer.seriesPerSelection.forEach((n, i) => {
        seriesPerSelection[i] = (seriesPerSelection[i] ?? 0) + n;
      });
      answer.parts.forEach((series, p) => {
        for (const s of series)
          this.cost.bytesMoved += s.values.byteLength + s.present.byteLength + labelsKey(s.labels).length;
        merged[p] = (merged[p] ?? []).concat(series);
      });
    }
    this.cost.series += seriesPerSelection.reduce((a, b) => a + b, 0);
    if (seriesPerSelection.some((n) => n > this.limits.maxSeriesPerSelector)) throw this.exceeded("series");
    if (this.cost.samples > this.limits.maxSamples) throw this.exceeded("samples");
    return merged;
  }

  /** The shards' answers as one list of series; counts their cost and checks the limits. */
  private merge(answers: Array<ShardSelectAnswer & { rowsRead: number }>): SeriesSamples[] {
    const { maxSeriesPerSelector, maxSamples } = this.limits;
    const byLabels = new Map<string, SeriesSamples>();
    for (const answer of answers) {
      this.cost.shardCalls++;
      this.cost.rowsRead += answer.rowsRead;
      if ("exceeded" in answer) throw this.exceeded(answer.exceeded);
      if (answer.series.length > 0 && !this.cost.sources.includes(answer.source))
        this.cost.sources.push(answer.source);
      for (const series of answer.series) {
        const key = labelsKey(series.labels);
        this.cost.bytesMoved +=
          series.timestamps.byteLength +
          series.values.byteLength +
          (series.counts?.byteLength ?? 0) +
          key.length;
        this.cost.samples += series.timestamps.length;
        const known = byLabels.get(key);
        byLabels.set(key, known ? mergeSamples(known, series) : series);
      }
    }
    this.cost.series += byLabels.size;
    if (byLabels.size > maxSeriesPerSelector) throw this.exceeded("series");
    if (this.cost.samples > maxSamples) throw this.exceeded("samples");
    return [...byLabels.values()];
  }

  private exceeded(what: "series" | "samples"): PromQLError {
    if (what === "samples")
      return new PromQLError(
        "execution",
        `query processing would load too many samples into memory in query execution (more than ${this.limits.maxSamples})`,
      );
    return new PromQLError(
      "execution",
      `a selector of this query matches more than ${this.limits.maxSeriesPerSelector} series`,
    );
  }
}
