import { DurableObject } from "cloudflare:workers";
import { BaselineMeter, type BaselineStats } from "./baseline-stats.ts";
import type { BenchEnv } from "./env.ts";
import { NAIVE_PAGE_POINTS, type NaivePage, type NaivePoint } from "./naive-points.ts";

const SCHEMA = `
CREATE TABLE IF NOT EXISTS points (
  id INTEGER PRIMARY KEY,
  device TEXT NOT NULL,
  metric TEXT NOT NULL,
  ts INTEGER NOT NULL,
  value REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS points_ts ON points (ts);
`;

/** One bucket of a query: a series' points in `[bucket, bucket + step)`. */
export interface NaiveBucket {
  device: string;
  metric: string;
  bucket: number;
  count: number;
  min: number;
  max: number;
  avg: number;
}

/** Baseline store: one INSERT per point; queries aggregate raw rows at read time. */
export class NaiveStoreObject extends DurableObject<BenchEnv> {
  private readonly meter = new BaselineMeter();

  constructor(ctx: DurableObjectState, env: BenchEnv) {
    super(ctx, env);
    void ctx.blockConcurrencyWhile(async () => {
      ctx.storage.sql.exec(SCHEMA);
    });
  }

  /** Inserts each point as its own row (plus its index entry). */
  ingest(device: string, points: NaivePoint[]): void {
    for (const { metric, ts, value } of points) {
      this.meter.add(
        this.ctx.storage.sql.exec(
          "INSERT INTO points (device, metric, ts, value) VALUES (?, ?, ?, ?)",
          device,
          metric,
          ts,
          value,
        ),
      );
    }
    this.meter.request(points.length);
  }

  stats(): BaselineStats {
    return this.meter.stats;
  }

  /** Aggregates raw points with `from <= ts < to` into `step`-ms buckets per series. */
  query(from: number, to: number, step: number): NaiveBucket[] {
    const cursor = this.ctx.storage.sql.exec<{ [K in keyof NaiveBucket]: NaiveBucket[K] }>(
      `SELECT device, metric, ts - (ts % ?) AS bucket,
                count(*) AS count, min(value) AS min, max(value) AS max, avg(value) AS avg
           FROM points WHERE ts >= ? AND ts < ?
          GROUP BY device, metric, bucket ORDER BY device, metric, bucket`,
      step,
      from,
      to,
    );
    const buckets = cursor.toArray();
    this.meter.add(cursor);
    return buckets;
  }

  /**
   * Points stored after row `after`, oldest first. The cursor is the row id, not `ts`: batches from several
   * devices land out of ts order, and a ts cursor would skip the late ones.
   */
  since(after: number): NaivePage {
    const cursor = this.ctx.storage.sql.exec<{
      id: number;
      device: string;
      metric: string;
      ts: number;
      value: number;
    }>(
      "SELECT id, device, metric, ts, value FROM points WHERE id > ? ORDER BY id LIMIT ?",
      after,
      NAIVE_PAGE_POINTS,
    );
    const rows = cursor.toArray();
    this.meter.add(cursor);
    return {
      next: rows.at(-1)?.id ?? after,
      points: rows.map(({ device, metric, ts, value }) => ({ device, metric, ts, value })),
    };
  }
}
