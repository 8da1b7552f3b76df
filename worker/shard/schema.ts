/**
 * SQLite schema of a board. Ingest writes one row per request to `batches` (the durable log); `series` gains a row
 * per new series; `rollup_chunks` and the single `checkpoint` row change only at checkpoints, a row per chunk of
 * buckets touched. So rows written follow requests, not points.
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
  body BLOB NOT NULL,
  idempotency_key TEXT,
  request_hash TEXT
);
CREATE TABLE IF NOT EXISTS series (
  id INTEGER PRIMARY KEY,
  device TEXT NOT NULL,
  metric TEXT NOT NULL,
  labels TEXT NOT NULL DEFAULT '',
  unit TEXT,
  kind TEXT,
  UNIQUE (device, metric, labels)
);
CREATE TABLE IF NOT EXISTS rollup_chunks (
  res INTEGER NOT NULL,
  block INTEGER NOT NULL,
  chunk INTEGER NOT NULL,
  body BLOB NOT NULL,
  PRIMARY KEY (res, block, chunk)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS checkpoint (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  state TEXT NOT NULL
);
`;

/** Keys of the `meta` table: numbers written once, or once per wake. */
export const META = {
  /** Random u32 naming this board's history; a new one means earlier seqs are gone. */
  epoch: "epoch",
  /** When the board's storage was created (ms). */
  createdAt: "created_at",
  /** Times the object has started: counted as it starts, one row written per wake. */
  wakes: "wakes",
  /** Layout version; boards written before it was kept are migrated on wake (see `migrate.ts`). */
  schemaVersion: "schema_version",
} as const;

export const SCHEMA_VERSION = 2;
