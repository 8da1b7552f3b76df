import type { BatchLog } from "./batch-log.ts";
import { RESOLUTIONS, SERIES_PER_BLOCK } from "./resolutions.ts";
import type { Rollups } from "./rollups.ts";
import type { SeriesCatalog } from "./series-catalog.ts";

/** Rows one run may delete, so it never holds up ingest for long; the rest goes to the next run. */
export const RETENTION_BUDGET_ROWS = 20_000;
const RAW_TRIM_CHUNK = 1_000;
/** Expired rollup chunks are swept at most this often. */
const ROLLUP_SWEEP_GAP_MS = 10 * 60_000;

/**
 * Deletes raw batches no new batch took over (see BatchLog) and expired rollup chunks, in bounded chunks, and
 * says when it next has work so the board's alarm can sleep until then.
 */
export class Retention {
  private readonly log: BatchLog;
  private readonly rollups: Rollups;
  private readonly catalog: SeriesCatalog;
  private lastRollupSweepAt = 0;

  constructor(log: BatchLog, rollups: Rollups, catalog: SeriesCatalog) {
    this.log = log;
    this.rollups = rollups;
    this.catalog = catalog;
  }

  private get blocks(): number {
    return Math.ceil(this.catalog.size / SERIES_PER_BLOCK);
  }

  /**
   * Deletes what is due at `now`, never raw batches after `checkpointSeq` (their points are not yet in stored
   * rollups). Returns the rows deleted and whether the budget ran out with work left.
   */
  run(now: number, checkpointSeq: number): { deleted: number; backlog: boolean } {
    let deleted = 0;
    while (deleted < RETENTION_BUDGET_ROWS) {
      const rows = this.log.trimLeftovers(now, checkpointSeq, RAW_TRIM_CHUNK);
      deleted += rows;
      if (rows < RAW_TRIM_CHUNK) break;
    }
    if (now - this.lastRollupSweepAt >= ROLLUP_SWEEP_GAP_MS && deleted < RETENTION_BUDGET_ROWS) {
      deleted += this.sweepRollups(now, RETENTION_BUDGET_ROWS - deleted);
      if (deleted < RETENTION_BUDGET_ROWS) this.lastRollupSweepAt = now;
    }
    return { deleted, backlog: deleted >= RETENTION_BUDGET_ROWS };
  }

  /** When retention next has work, or null when nothing is stored. */
  nextDue(now: number): number | null {
    const candidates: number[] = [];
    const raw = this.log.nextLeftoverDue(now);
    if (raw !== null) candidates.push(raw);
    const rollupDue = this.nextRollupExpiry();
    if (rollupDue !== null)
      candidates.push(Math.max(rollupDue, this.lastRollupSweepAt + ROLLUP_SWEEP_GAP_MS));
    return candidates.length > 0 ? Math.min(...candidates) : null;
  }

  private sweepRollups(now: number, budget: number): number {
    let deleted = 0;
    for (let r = 0; r < RESOLUTIONS.length; r++) {
      for (let block = 0; block < this.blocks; block++) {
        deleted += this.rollups.expire(r, block, now, budget - deleted);
        if (deleted >= budget) return deleted;
      }
    }
    return deleted;
  }

  private nextRollupExpiry(): number | null {
    let next: number | null = null;
    for (let r = 0; r < RESOLUTIONS.length; r++) {
      for (let block = 0; block < this.blocks; block++) {
        const due = this.rollups.nextExpiry(r, block);
        if (due !== null) next = Math.min(next ?? due, due);
      }
    }
    return next;
  }
}
