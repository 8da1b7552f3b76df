import { emptyCounters, writeCheckpoint } from "./checkpoint-row.ts";
import type { Meta } from "./meta.ts";
import type { Sql } from "./metered-sql.ts";
import type { PresenceEntry } from "./presence.ts";
import { bucketsPerChunk, RESOLUTIONS, SERIES_PER_BLOCK } from "./resolutions.ts";
import { META, SCHEMA_VERSION } from "./schema.ts";
import { Segment } from "./segment.ts";

type OldRollupRow = [
  res: number,
  series: number,
  bucket: number,
  count: number,
  sum: number,
  min: number,
  max: number,
  firstTs: number,
  first: number,
  lastTs: number,
  last: number,
];

/**
 * Converts a board written with schema 1 (a rollup row per series and bucket, latest values in `series`, presence in
 * `devices`, checkpoint position in `meta`, series without labels) to the chunked layout, in the caller's
 * transaction. Such a board has an
 * epoch but no schema version. Rows written once: one per rollup chunk, plus the checkpoint row. Returns whether
 * it converted anything.
 */
export function migrateToChunks(sql: Sql, meta: Meta): boolean {
  if (meta.get(META.epoch) === null || meta.get(META.schemaVersion) !== null) return false;
  const segments = new Map<string, { res: number; block: number; segment: Segment }>();
  for (const row of sql
    .exec("SELECT res, series, bucket, count, sum, min, max, first_ts, first, last_ts, last FROM rollups")
    .raw()) {
    const [res, series, bucket, count, sum, min, max, firstTs, first, lastTs, last] = row as OldRollupRow;
    const resolution = RESOLUTIONS[res]!;
    const chunk = bucket - (bucket % resolution.chunkMs);
    const block = Math.floor(series / SERIES_PER_BLOCK);
    const key = `${res}/${block}/${chunk}`;
    let entry = segments.get(key);
    if (!entry) {
      entry = { res, block, segment: new Segment(chunk, resolution.ms, bucketsPerChunk(resolution)) };
      segments.set(key, entry);
    }
    const aggregate = { count, sum, min, max, firstTs, first, lastTs, last };
    entry.segment.setBucket(series % SERIES_PER_BLOCK, (bucket - chunk) / resolution.ms, aggregate);
  }
  for (const { res, block, segment } of segments.values()) {
    sql.exec(
      "INSERT INTO rollup_chunks (res, block, chunk, body) VALUES (?, ?, ?, ?)",
      res,
      block,
      segment.chunk,
      segment.encode(),
    );
  }
  const last = sql
    .exec<{ id: number; ts: number; value: number }>(
      "SELECT id, last_ts AS ts, last_value AS value FROM series WHERE last_ts IS NOT NULL",
    )
    .toArray()
    .map(({ id, ts, value }): [number, number, number] => [id, ts, value]);
  const devices = sql
    .exec<{ device: string; last_seen: number; online: number }>(
      "SELECT device, last_seen, online FROM devices",
    )
    .toArray()
    .map((d): PresenceEntry => [d.device, d.last_seen, d.online === 1, 0]);
  writeCheckpoint(sql, {
    seq: meta.get("checkpoint_seq") ?? 0,
    rawPoints: meta.get("raw_points") ?? 0,
    series: sql.exec<{ n: number }>("SELECT count(*) AS n FROM series").one().n,
    wakes: 0,
    last,
    devices,
    counters: emptyCounters(),
  });
  // SQLite cannot change a table's UNIQUE constraint: the series move to a table with labels, unit and kind.
  sql.exec(`DROP TABLE rollups; DROP TABLE devices;
    CREATE TABLE series_labelled (id INTEGER PRIMARY KEY, device TEXT NOT NULL, metric TEXT NOT NULL,
      labels TEXT NOT NULL DEFAULT '', unit TEXT, kind TEXT, UNIQUE (device, metric, labels));
    INSERT INTO series_labelled (id, device, metric) SELECT id, device, metric FROM series;
    DROP TABLE series; ALTER TABLE series_labelled RENAME TO series;
    ALTER TABLE batches ADD COLUMN idempotency_key TEXT; ALTER TABLE batches ADD COLUMN request_hash TEXT;
    DELETE FROM meta WHERE key IN ('checkpoint_seq', 'raw_points')`);
  meta.set(META.schemaVersion, SCHEMA_VERSION);
  return true;
}
