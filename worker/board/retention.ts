import type { BatchLog } from "./batch-log.ts";
import type { BoardConfig } from "./board-config.ts";
import { RESOLUTIONS, type Rollups } from "./rollups.ts";
import type { SeriesCatalog } from "./series-catalog.ts";

/** Rows one run may delete, so it never holds up ingest for long; the rest goes to the next run. */
export const RETENTION_BUDGET_ROWS = 20_000;
const RAW_TRIM_CHUNK = 1_000;
/** Raw trims are batched at most every 30 s (or a tenth of a shorter window); rollup sweeps every 10 min. */
const MAX_RAW_SWEEP_GAP_MS = 30_000;
const ROLLUP_SWEEP_GAP_MS = 10 * 60_000;

/**
 * Deletes expired raw batches (by age, or by count past `rawMaxPoints`) and expired rollup buckets, in bounded
 * chunks, and says when it next has work so the board's alarm can sleep until then.
 */
export class Retention {
  private readonly log: BatchLog;
  private readonly rollups: Rollups;
  private readonly catalog: SeriesCatalog;
  private readonly config: BoardConfig;
  private readonly rawSweepGapMs: number;
  private lastRawSweepAt = 0;
  private lastRollupSweepAt = 0;

  constructor(log: BatchLog, rollups: Rollups, catalog: SeriesCatalog, config: BoardConfig) {
    this.log = log;
    this.rollups = rollups;
    this.catalog = catalog;
    this.config = config;
    this.rawSweepGapMs = Math.min(MAX_RAW_SWEEP_GAP_MS, config.rawRetentionMs / 10);
  }

  private get rawOverLimit(): boolean {
    return this.log.points > this.config.rawMaxPoints;
  }

  /**
   * Deletes what has expired at `now`, never raw batches after `checkpointSeq` (their points are not yet folded
   * into stored rollups). Returns true when the budget ran out and work is left.
   */
  run(now: number, checkpointSeq: number): boolean {
    let budget = RETENTION_BUDGET_ROWS;
    if (now - this.lastRawSweepAt >= this.rawSweepGapMs || this.rawOverLimit) {
      budget -= this.trimRaw(now, checkpointSeq, budget);
      this.lastRawSweepAt = now;
    }
    if (now - this.lastRollupSweepAt >= ROLLUP_SWEEP_GAP_MS && budget > 0) {
      budget -= this.sweepRollups(now, budget);
      if (budget > 0) this.lastRollupSweepAt = now;
    }
    return budget <= 0;
  }

  /** When retention next has work, or null when nothing is stored. */
  nextDue(now: number): number | null {
    const candidates: number[] = [];
    const oldestRaw = this.log.oldestReceivedAt();
    if (oldestRaw !== null) {
      const due = this.rawOverLimit ? now : oldestRaw + this.config.rawRetentionMs;
      candidates.push(Math.max(due, this.lastRawSweepAt + this.rawSweepGapMs));
    }
    const rollupDue = this.nextRollupExpiry();
    if (rollupDue !== null)
      candidates.push(Math.max(rollupDue, this.lastRollupSweepAt + ROLLUP_SWEEP_GAP_MS));
    return candidates.length > 0 ? Math.min(...candidates) : null;
  }

  private trimRaw(now: number, checkpointSeq: number, budget: number): number {
    let deleted = 0;
    while (deleted < budget) {
      const excess = Math.max(0, this.log.points - this.config.rawMaxPoints);
      const chunk = Math.min(RAW_TRIM_CHUNK, budget - deleted);
      const rows = this.log.trimHead(now - this.config.rawRetentionMs, excess, checkpointSeq, chunk);
      deleted += rows;
      if (rows < chunk) break;
    }
    return deleted;
  }

  private sweepRollups(now: number, budget: number): number {
    let deleted = 0;
    for (let r = 0; r < RESOLUTIONS.length; r++) {
      for (const def of this.catalog.all()) {
        deleted += this.rollups.expire(r, def.id, now, budget - deleted);
        if (deleted >= budget) return deleted;
      }
    }
    return deleted;
  }

  private nextRollupExpiry(): number | null {
    let next: number | null = null;
    for (let r = 0; r < RESOLUTIONS.length; r++) {
      for (const def of this.catalog.all()) {
        const due = this.rollups.nextExpiry(r, def.id);
        if (due !== null) next = Math.min(next ?? due, due);
      }
    }
    return next;
  }
}
