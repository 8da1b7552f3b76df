/**
 * SQLite schema of a board. One row per accepted ingest request goes to `batches` (the durable log);
 * `series`, `rollups`, `devices` and `meta` change only at checkpoints, so ingest writes O(1) rows however many points it carries.
 */
export const SCHEMA = `
CREATE TABLE IF NOT EXISTS meta (
  key TEXT PRIMARY KEY,
  value INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS batches (
  seq INTEGER PRIMARY KEY,
  received_at INTEGER NOT NULL,
  points INTEGER NOT NULL,
  min_ts INTEGER NOT NULL,
  max_ts INTEGER NOT NULL,
  body BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS series (
  id INTEGER PRIMARY KEY,
  device TEXT NOT NULL,
  metric TEXT NOT NULL,
  last_ts INTEGER,
  last_value REAL,
  UNIQUE (device, metric)
);
CREATE TABLE IF NOT EXISTS rollups (
  res INTEGER NOT NULL,
  series INTEGER NOT NULL,
  bucket INTEGER NOT NULL,
  count INTEGER NOT NULL,
  sum REAL NOT NULL,
  min REAL NOT NULL,
  max REAL NOT NULL,
  first_ts INTEGER NOT NULL,
  first REAL NOT NULL,
  last_ts INTEGER NOT NULL,
  last REAL NOT NULL,
  PRIMARY KEY (res, series, bucket)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS devices (
  device TEXT PRIMARY KEY,
  last_seen INTEGER NOT NULL,
  online INTEGER NOT NULL
);
`;

/** Keys of the `meta` table. */
export const META = {
  /** Random u32 naming this board's history; a new one means earlier seqs are gone. */
  epoch: "epoch",
  /** Every batch with seq <= this is folded into `series` (and rollups); later ones are replayed on wake. */
  checkpointSeq: "checkpoint_seq",
  /** Points held in the raw log as of the checkpoint; batches after it are added on wake. */
  rawPoints: "raw_points",
} as const;
