import type { BatchLog } from "./batch-log.ts";
import { type CheckpointState, type Counters, emptyCounters, writeCheckpoint } from "./checkpoint-row.ts";
import type { MeteredSql } from "./metered-sql.ts";
import type { Presence } from "./presence.ts";
import type { Rollups } from "./rollups.ts";
import type { SeriesCatalog } from "./series-catalog.ts";

/**
 * A checkpoint is due past the interval, or sooner once this many points or batches wait (which bounds the replay
 * after a wake to about half a second), or once held rollup chunks grew by this much memory since the last one (an
 * object has 128 MB; a shard of 5,000 series keeps about 46 MB of current chunks besides).
 */
const MAX_POINTS = 500_000;
const MAX_BATCHES = 20_000;
const MAX_GROWN_BYTES = 16 * 1024 * 1024;

/** What a checkpoint reads from the shard. */
export interface CheckpointSources {
  storage: DurableObjectStorage;
  sql: MeteredSql;
  log: BatchLog;
  catalog: SeriesCatalog;
  presence: Presence;
  rollups: Rollups;
  wakes: number;
  /** The newest seq the hub acknowledged (see HubOutbox). */
  pushedSeq: () => number;
}

/**
 * When and how a shard folds its in-memory state into SQLite, and the cumulative counters that go with it. A
 * checkpoint writes a row per changed rollup chunk and the checkpoint row, in one transaction; a wake replays the
 * log after the seq it covers, so rarer checkpoints cost fewer rows and nothing is lost or counted twice.
 */
export class Checkpoints {
  readonly counters: Counters;
  /** What the checkpoint row covers: batches up to `seq`, `points` raw points, `alarms` alarms set. */
  seq: number;
  private points: number;
  private alarms: number;
  private lastAt = Date.now();
  private pointsSince = 0;
  private readonly sources: CheckpointSources;
  private readonly intervalMs: number;

  constructor(sources: CheckpointSources, saved: CheckpointState | null, intervalMs: number) {
    this.sources = sources;
    this.intervalMs = intervalMs;
    this.counters = saved?.counters ?? emptyCounters();
    this.seq = saved?.seq ?? 0;
    this.points = saved?.rawPoints ?? 0;
    this.alarms = this.counters.alarmsSet;
  }

  /** Counts points folded since the last checkpoint (replayed ones included). */
  folded(points: number): void {
    this.pointsSince += points;
  }

  /** Whether anything in memory differs from the checkpoint row and stored rollups. */
  get changed(): boolean {
    const { log, presence, rollups } = this.sources;
    return (
      this.seq !== log.lastSeq ||
      this.points !== log.points ||
      this.alarms !== this.counters.alarmsSet ||
      presence.changed ||
      rollups.dirtySegments > 0
    );
  }

  /** Checkpoints when the interval has passed, or the replay a wake would need or the memory held grew too large. */
  maybe(now: number): void {
    if (
      now - this.lastAt >= this.intervalMs ||
      this.pointsSince >= MAX_POINTS ||
      this.sources.log.lastSeq - this.seq >= MAX_BATCHES ||
      this.sources.rollups.grownBytes >= MAX_GROWN_BYTES
    )
      this.now();
  }

  /** Checkpoints now if anything changed. */
  now(): void {
    this.lastAt = Date.now();
    if (this.changed) this.write();
  }

  /** Writes the changed chunks and the checkpoint row, counting the rows every cursor wrote (itself included). */
  write(): void {
    const { storage, sql, log, catalog, presence, rollups, wakes, pushedSeq } = this.sources;
    storage.transactionSync(() => {
      rollups.checkpoint();
      this.counters.checkpoints++;
      sql.settle();
      const counters = {
        ...this.counters,
        rowsRead: this.counters.rowsRead + sql.rowsRead,
        rowsWritten: this.counters.rowsWritten + sql.rowsWritten + 1,
      };
      writeCheckpoint(sql, {
        seq: log.lastSeq,
        rawPoints: log.points,
        series: catalog.size,
        wakes,
        pushedSeq: pushedSeq(),
        last: catalog.lastValues(),
        markers: catalog.markers(),
        devices: presence.entries(),
        counters,
      });
    });
    this.seq = log.lastSeq;
    this.points = log.points;
    this.alarms = this.counters.alarmsSet;
    this.pointsSince = 0;
  }

  /** The counters as of now: persisted ones plus what this wake's cursors counted. */
  totals(): Counters {
    const { sql } = this.sources;
    sql.settle();
    return {
      ...this.counters,
      rowsRead: this.counters.rowsRead + sql.rowsRead,
      rowsWritten: this.counters.rowsWritten + sql.rowsWritten,
      rejected: { ...this.counters.rejected },
    };
  }
}
