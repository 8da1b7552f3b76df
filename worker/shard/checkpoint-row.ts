import type { Sql } from "./metered-sql.ts";
import type { PresenceEntry } from "./presence.ts";
import type { LastValueEntry, MarkerEntry } from "./series-catalog.ts";

/** Cumulative counters of a board, persisted with each checkpoint. */
export interface Counters {
  rowsWritten: number;
  rowsRead: number;
  alarmsSet: number;
  checkpoints: number;
  /** Ingest requests and points accepted. */
  requests: number;
  points: number;
  /** Ingest requests refused, by error code. */
  rejected: Record<string, number>;
}

export function emptyCounters(): Counters {
  return { rowsWritten: 0, rowsRead: 0, alarmsSet: 0, checkpoints: 0, requests: 0, points: 0, rejected: {} };
}

/**
 * Everything a checkpoint persists besides rollup chunks, as one JSON row: what a wake cannot rebuild from the
 * log after `seq`.
 */
export interface CheckpointState {
  /** Every batch up to here is folded into stored rollups and into this row. */
  seq: number;
  /** Points held in the raw log. */
  rawPoints: number;
  /** Series in the catalog; later ones were created after the checkpoint. */
  series: number;
  /** Wakes counted so far; later ones each wrote their own row. */
  wakes: number;
  /** The newest seq the board's hub acknowledged (absent in rows written before shards). */
  pushedSeq?: number;
  last: LastValueEntry[];
  /** Each series' newest staleness marker (absent in rows written before they were kept). */
  markers?: MarkerEntry[];
  devices: PresenceEntry[];
  counters: Counters;
}

export function readCheckpoint(sql: Sql): CheckpointState | null {
  const row = sql.exec<{ state: string }>("SELECT state FROM checkpoint WHERE id = 1").toArray()[0];
  return row ? (JSON.parse(row.state) as CheckpointState) : null;
}

/** Writes the checkpoint row: one row written. */
export function writeCheckpoint(sql: Sql, state: CheckpointState): void {
  sql.exec(
    "INSERT INTO checkpoint (id, state) VALUES (1, ?) ON CONFLICT (id) DO UPDATE SET state = excluded.state",
    JSON.stringify(state),
  );
}
