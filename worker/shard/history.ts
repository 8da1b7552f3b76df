import {
  type HistoryColumns,
  MAX_QUERY_SERIES,
  parseSelector,
  type Selector,
  type SeriesDef,
  type SeriesHistory,
} from "../protocol/index.ts";
import type { BatchLog } from "./batch-log.ts";
import { type BucketAggregate, emptyAggregate, emptyColumns, foldPoint, pushBucket } from "./columns.ts";
import { RESOLUTIONS } from "./resolutions.ts";
import type { Rollups } from "./rollups.ts";
import type { SeriesCatalog } from "./series-catalog.ts";
import type { ColumnsWithLastTs, ShardHistory } from "./shard-api.ts";

export interface HistoryRequest {
  /** Selectors the Worker has checked (see `protocol/selectors.ts`). */
  selectors: string[];
  from: number;
  to: number;
  step: number;
  /** The time every shard judges retention by, so they all choose the same resolution. */
  now: number;
}

/** A query that names more series than one answer may hold. */
export interface HistoryError {
  error: { code: "too_many_series"; message: string; path: "series" };
}

/** What `queryHistory` computes; the shard adds its position. */
export type HistoryBuckets = Omit<ShardHistory, "position">;

/** Aggregate of the raw points in one bucket of a sub-second query. */
type Aggregate = BucketAggregate;

/**
 * Where a query reads from: the raw log (-1) for steps under 1 s, else the coarsest rollup resolution no wider than
 * the step whose retention still covers `from`; when none that fine covers it, the finest one that does (the step
 * widens to it), and past every retention the coarsest. The step is rounded up to a multiple of the resolution.
 */
export function chooseResolution(
  step: number,
  from: number,
  now: number,
): { resolution: number; step: number } {
  if (step < RESOLUTIONS[0]!.ms) return { resolution: -1, step: Math.max(1, Math.ceil(step)) };
  const all = RESOLUTIONS.map((_, r) => r);
  const covers = (r: number) => from >= now - RESOLUTIONS[r]!.retentionMs;
  const fine = all.filter((r) => RESOLUTIONS[r]!.ms <= step && covers(r)).at(-1);
  const resolution = fine ?? all.find(covers) ?? all.at(-1)!;
  const width = RESOLUTIONS[resolution]!.ms;
  return { resolution, step: Math.ceil(step / width) * width };
}

type Buckets = Map<number, Aggregate>;

/** A series' name in an answer, without the board's id. */
function named(
  def: Pick<SeriesDef, "device" | "metric" | "labels" | "unit" | "kind">,
): Omit<SeriesHistory, keyof HistoryColumns> {
  const { device, metric, labels, unit, kind } = def;
  return {
    device,
    metric,
    ...(labels ? { labels } : {}),
    ...(unit ? { unit } : {}),
    ...(kind ? { kind } : {}),
  };
}

function toColumns(buckets: Buckets): ColumnsWithLastTs {
  const columns = emptyColumns();
  for (const [ts, agg] of [...buckets].sort((a, b) => a[0] - b[0])) pushBucket(columns, ts, agg);
  return columns;
}

/**
 * The series a query answers, in the order its selectors name them: every series a selector matches, once. A
 * plain `device:metric` that matches nothing still gets an entry (with empty columns), so a client asking for
 * a series the board does not have yet learns that it has no points.
 */
function selected(selectors: string[], catalog: SeriesCatalog): Array<SeriesDef | Selector> {
  const answer: Array<SeriesDef | Selector> = [];
  const seen = new Set<number>();
  for (const text of selectors) {
    const selector = parseSelector(text) as Selector;
    const matched = catalog.matching([selector]);
    const exact = selector.device !== "*" && selector.metric !== "*" && selector.matchers.length === 0;
    if (matched.length === 0 && exact) answer.push(selector);
    for (const def of matched) {
      if (seen.has(def.id)) continue;
      seen.add(def.id);
      answer.push(def);
    }
  }
  return answer;
}

/**
 * Answers a history query from rollups (step >= 1 s) or the raw log (finer steps, within raw retention), for the
 * series its selectors match.
 */
export function queryHistory(
  request: HistoryRequest,
  catalog: SeriesCatalog,
  rollups: Rollups,
  log: BatchLog,
  earliestReceipt: (ts: number) => number,
): HistoryBuckets | HistoryError {
  const series = selected(request.selectors, catalog);
  if (series.length > MAX_QUERY_SERIES) {
    const message = `the selectors match ${series.length} series; a query answers at most ${MAX_QUERY_SERIES}`;
    return { error: { code: "too_many_series", message, path: "series" } };
  }
  const defs = series.filter((s): s is SeriesDef => "id" in s);
  const { resolution, step } = chooseResolution(request.step, request.from, request.now);
  const from = request.from - (request.from % step);
  const answer = {
    from,
    to: request.to,
    step,
    resolution: RESOLUTIONS[resolution]?.name ?? ("raw" as const),
  };
  const columnsOf = new Map<number, ColumnsWithLastTs>();
  if (resolution >= 0) {
    const ids = defs.map((def) => def.id);
    rollups.aggregate(resolution, ids, from, request.to, step).forEach((columns, i) => {
      columnsOf.set(ids[i]!, columns);
    });
  } else {
    const buckets = new Map(defs.map((def) => [def.id, new Map() as Buckets]));
    for (const { batch } of log.readReceivedSince(earliestReceipt(from), from, request.to)) {
      for (let p = 0; p < batch.seriesIds.length; p++) {
        const target = buckets.get(batch.seriesIds[p]!);
        const ts = batch.ts[p]!;
        // Staleness markers end a series; they are no values of a bucket.
        if (!target || ts < from || ts >= request.to || batch.stale?.[p] === 1) continue;
        const start = ts - (ts % step);
        let agg = target.get(start);
        if (!agg) {
          agg = emptyAggregate();
          target.set(start, agg);
        }
        foldPoint(agg, ts, batch.values[p]!);
      }
    }
    for (const [id, series] of buckets) columnsOf.set(id, toColumns(series));
  }
  return {
    ...answer,
    series: series.map((s) => ({ ...named(s), ...("id" in s ? columnsOf.get(s.id)! : emptyColumns()) })),
  };
}
