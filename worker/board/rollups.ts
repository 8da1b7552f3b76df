import type { HistoryColumns } from "../protocol/index.ts";

/** A rollup resolution: bucket width and how long its buckets are kept. */
export interface Resolution {
  ms: number;
  retentionMs: number;
}

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/** Finest first. The raw log sits below these (see BatchLog); 1 s buckets 24 h, 1 min 30 d, 1 h 1 year. */
export const RESOLUTIONS: readonly Resolution[] = [
  { ms: 1_000, retentionMs: DAY },
  { ms: 60_000, retentionMs: 30 * DAY },
  { ms: HOUR, retentionMs: 365 * DAY },
];

/** Aggregate of the points in one bucket: enough for avg, min/max bands and rates. */
export interface Aggregate {
  count: number;
  sum: number;
  min: number;
  max: number;
  firstTs: number;
  first: number;
  lastTs: number;
  last: number;
}

/** Folds a point into an aggregate. On equal timestamps the earlier arrival stays first and the later becomes last. */
export function foldPoint(agg: Aggregate, ts: number, value: number): void {
  agg.count++;
  agg.sum += value;
  if (value < agg.min) agg.min = value;
  if (value > agg.max) agg.max = value;
  if (ts < agg.firstTs) {
    agg.firstTs = ts;
    agg.first = value;
  }
  if (ts >= agg.lastTs) {
    agg.lastTs = ts;
    agg.last = value;
  }
}

export function pointAggregate(ts: number, value: number): Aggregate {
  return { count: 1, sum: value, min: value, max: value, firstTs: ts, first: value, lastTs: ts, last: value };
}

const COLUMNS = 11;
/** Rows per upsert statement: SQLite in Durable Objects binds at most 100 parameters. */
const ROWS_PER_STATEMENT = Math.floor(100 / COLUMNS);
const upserts = new Map<number, string>();

/**
 * An upsert of `rows` rollup rows that merges each into a stored bucket. SQLite evaluates every SET expression
 * against the old row, so the CASEs see the old first_ts / last_ts.
 */
function upsertStatement(rows: number): string {
  let statement = upserts.get(rows);
  if (statement === undefined) {
    const values = Array.from({ length: rows }, () => `(${Array(COLUMNS).fill("?").join(",")})`).join(",");
    statement = `
INSERT INTO rollups (res, series, bucket, count, sum, min, max, first_ts, first, last_ts, last)
VALUES ${values}
ON CONFLICT (res, series, bucket) DO UPDATE SET
  count = count + excluded.count,
  sum = sum + excluded.sum,
  min = min(min, excluded.min),
  max = max(max, excluded.max),
  first = CASE WHEN excluded.first_ts < first_ts THEN excluded.first ELSE first END,
  first_ts = min(first_ts, excluded.first_ts),
  last = CASE WHEN excluded.last_ts >= last_ts THEN excluded.last ELSE last END,
  last_ts = max(last_ts, excluded.last_ts)`;
    upserts.set(rows, statement);
  }
  return statement;
}

// Buckets never overlap in time, so a step's last value is the last value of its newest bucket.
const AGGREGATE = `
SELECT g.start, g.count, g.sum, g.min, g.max, r.last FROM (
  SELECT bucket - bucket % ?1 AS start, sum(count) AS count, sum(sum) AS sum, min(min) AS min, max(max) AS max,
         max(bucket) AS newest
    FROM rollups WHERE res = ?2 AND series = ?3 AND bucket >= ?4 AND bucket < ?5 GROUP BY start
) g JOIN rollups r ON r.res = ?2 AND r.series = ?3 AND r.bucket = g.newest ORDER BY g.start`;

/**
 * Rollups of every series at each resolution. Points are folded into in-memory deltas; `checkpoint` merges the
 * deltas into SQLite with an upsert, so persisted rows plus the log after the checkpoint always give the exact state.
 */
export class Rollups {
  private readonly sql: SqlStorage;
  /** Per resolution: series id → bucket start → delta since the last checkpoint. */
  private deltas: Map<number, Map<number, Aggregate>>[] = RESOLUTIONS.map(() => new Map());
  /** Per resolution, indexed by series id: the delta bucket its last point went to. */
  private current: Array<Array<{ bucket: number; agg: Aggregate } | undefined>> = RESOLUTIONS.map(() => []);

  constructor(sql: SqlStorage) {
    this.sql = sql;
  }

  /** Folds one point into every resolution's delta. */
  add(seriesId: number, ts: number, value: number): void {
    for (let r = 0; r < RESOLUTIONS.length; r++) {
      const bucket = ts - (ts % RESOLUTIONS[r]!.ms);
      // Points of a series mostly land in the bucket its previous point hit: skip the map lookups then.
      const current = this.current[r]![seriesId];
      if (current !== undefined && current.bucket === bucket) {
        foldPoint(current.agg, ts, value);
        continue;
      }
      let perSeries = this.deltas[r]!.get(seriesId);
      if (!perSeries) {
        perSeries = new Map();
        this.deltas[r]!.set(seriesId, perSeries);
      }
      let agg = perSeries.get(bucket);
      if (agg) foldPoint(agg, ts, value);
      else {
        agg = pointAggregate(ts, value);
        perSeries.set(bucket, agg);
      }
      this.current[r]![seriesId] = { bucket, agg };
    }
  }

  /** Merges the deltas into storage, several rows a statement; call inside the checkpoint transaction. */
  checkpoint(): void {
    const params: number[] = [];
    const flush = () => {
      if (params.length === 0) return;
      this.sql.exec(upsertStatement(params.length / COLUMNS), ...params);
      params.length = 0;
    };
    for (let r = 0; r < RESOLUTIONS.length; r++) {
      for (const [seriesId, buckets] of this.deltas[r]!) {
        for (const [bucket, a] of buckets) {
          params.push(
            r,
            seriesId,
            bucket,
            a.count,
            a.sum,
            a.min,
            a.max,
            a.firstTs,
            a.first,
            a.lastTs,
            a.last,
          );
          if (params.length === ROWS_PER_STATEMENT * COLUMNS) flush();
        }
      }
    }
    flush();
    this.deltas = RESOLUTIONS.map(() => new Map());
    this.current = RESOLUTIONS.map(() => []);
  }

  /** Stored buckets of one series in `[from, to)`, merged into `step`-wide buckets by SQLite. Checkpoint first. */
  aggregate(resolution: number, seriesId: number, from: number, to: number, step: number): HistoryColumns {
    const columns: HistoryColumns = { ts: [], avg: [], min: [], max: [], count: [], last: [] };
    const rows = this.sql.exec(AGGREGATE, step, resolution, seriesId, from, to).raw();
    for (const [start, count, sum, min, max, last] of rows as Iterable<number[]>) {
      columns.ts.push(start!);
      columns.avg.push(sum! / count!);
      columns.min.push(min!);
      columns.max.push(max!);
      columns.count.push(count!);
      columns.last.push(last!);
    }
    return columns;
  }

  /** Points of one series stored in 1 s buckets from `since` on. Checkpoint first. */
  countSince(seriesId: number, since: number): number {
    return (
      this.sql
        .exec<{ n: number | null }>(
          "SELECT sum(count) AS n FROM rollups WHERE res = 0 AND series = ? AND bucket >= ?",
          seriesId,
          since,
        )
        .one().n ?? 0
    );
  }

  /**
   * Deletes expired buckets of one series at one resolution, at most `budget` rows.
   * Returns the rows deleted; fewer than `budget` means the series is clean.
   */
  expire(resolution: number, seriesId: number, now: number, budget: number): number {
    const { ms, retentionMs } = RESOLUTIONS[resolution]!;
    // A bucket goes once its whole span is older than the retention window.
    const cutoff = now - retentionMs - ms;
    const boundary = this.sql
      .exec<{ bucket: number }>(
        "SELECT bucket FROM rollups WHERE res = ? AND series = ? AND bucket < ? ORDER BY bucket LIMIT 1 OFFSET ?",
        resolution,
        seriesId,
        cutoff,
        budget - 1,
      )
      .toArray()[0];
    const through = boundary ? boundary.bucket + 1 : cutoff;
    return this.sql.exec(
      "DELETE FROM rollups WHERE res = ? AND series = ? AND bucket < ?",
      resolution,
      seriesId,
      through,
    ).rowsWritten;
  }

  /** When the oldest stored bucket of a series at a resolution expires, or null when it has none. */
  nextExpiry(resolution: number, seriesId: number): number | null {
    const oldest = this.sql
      .exec<{ bucket: number }>(
        "SELECT bucket FROM rollups WHERE res = ? AND series = ? ORDER BY bucket LIMIT 1",
        resolution,
        seriesId,
      )
      .toArray()[0];
    return oldest
      ? oldest.bucket + RESOLUTIONS[resolution]!.ms + RESOLUTIONS[resolution]!.retentionMs + 1
      : null;
  }
}
