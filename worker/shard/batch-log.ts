import { decodeBatch, encodeBatch, type StoredBatch } from "./batch-codec.ts";
import type { Sql } from "./metered-sql.ts";
import { RecentBatches } from "./recent-batches.ts";

/** A batch as the log holds it: its seq, when it was received, and its points (series ids are the shard's). */
export interface LoggedBatch {
  seq: number;
  receivedAt: number;
  batch: StoredBatch;
}

/** An idempotency key stored with a batch, and a hash of the request that carried it. */
export interface BatchKey {
  key: string;
  hash: string;
}

/** How long raw batches are kept, and how many points the log holds at most whatever their age. */
export interface LogRetention {
  retentionMs: number;
  maxPoints: number;
}

interface HeadRow {
  seq: number;
  receivedAt: number;
  points: number;
}

/** The first range of seqs `readReceivedSince` scans. */
const FIRST_PAGE_ROWS = 8;
/** Head rows are read this many at a time. */
const HEAD_READ_AHEAD = 256;
/**
 * A row no batch took over is deleted once expired for a whole window or this long, whichever is longer: well past
 * the checkpoint interval, so in steady state every expired row is checkpointed and taken over before then.
 */
const LEFTOVER_GRACE_MS = 10 * 60_000;

/**
 * The durable log of accepted batches: one row per ingest request, keyed by `seq`. A batch whose head row has
 * expired takes that row over (one UPDATE) instead of inserting a new row and later deleting the old one, so in
 * steady state the log costs one row written per request. Rows no batch took over (the rate fell) are deleted
 * once they are well past expiry (`trimLeftovers`).
 */
export class BatchLog {
  private readonly sql: Sql;
  private readonly retention: LogRetention;
  /** Seq of the newest appended batch (0 before the first). */
  lastSeq: number;
  /** Points held in the log. */
  points: number;
  private lastReceivedAt: number;
  /** The oldest rows, in seq order; refilled from SQLite when it runs out. */
  private head: HeadRow[] = [];
  /** The newest rows' blobs, read without SQLite. */
  private readonly recent: RecentBatches;

  /** `checkpointPoints` is the point count stored at the last checkpoint; batches after it are counted here. */
  constructor(sql: Sql, retention: LogRetention, checkpointSeq: number, checkpointPoints: number) {
    this.sql = sql;
    this.retention = retention;
    const newest = sql.exec<{ seq: number | null }>("SELECT max(seq) AS seq FROM batches").one().seq;
    // Rows go only once checkpointed, so seqs stay monotonic even when the table empties.
    this.lastSeq = Math.max(newest ?? 0, checkpointSeq);
    this.points = checkpointPoints + this.pointsAfter(checkpointSeq);
    this.lastReceivedAt =
      sql
        .exec<{ at: number | null }>("SELECT received_at AS at FROM batches WHERE seq = ?", this.lastSeq)
        .toArray()[0]?.at ?? 0;
    this.recent = new RecentBatches(this.lastSeq);
  }

  private oldest(): HeadRow | undefined {
    if (this.head.length === 0) {
      this.head = this.sql
        .exec<{ seq: number; received_at: number; points: number }>(
          "SELECT seq, received_at, points FROM batches ORDER BY seq LIMIT ?",
          HEAD_READ_AHEAD,
        )
        .toArray()
        .map((row) => ({ seq: row.seq, receivedAt: row.received_at, points: row.points }));
    }
    return this.head[0];
  }

  private expired(row: HeadRow, now: number, incoming: number): boolean {
    return (
      now - row.receivedAt >= this.retention.retentionMs || this.points + incoming > this.retention.maxPoints
    );
  }

  /**
   * Appends a batch and returns its seq. It takes over the oldest row when that row has expired and its batch is
   * folded into stored rollups (`seq <= reusableThroughSeq`), else it inserts. `receivedAt` is clamped so it never
   * decreases along the log.
   */
  append(batch: StoredBatch, receivedAt: number, reusableThroughSeq: number, key?: BatchKey): number {
    const seq = this.lastSeq + 1;
    const count = batch.ts.length;
    this.lastReceivedAt = Math.max(this.lastReceivedAt, receivedAt);
    let minTs = Number.POSITIVE_INFINITY;
    let maxTs = Number.NEGATIVE_INFINITY;
    for (const ts of batch.ts) {
      if (ts < minTs) minTs = ts;
      if (ts > maxTs) maxTs = ts;
    }
    const blob = encodeBatch(batch);
    const values = [seq, this.lastReceivedAt, count, minTs, maxTs, blob, key?.key, key?.hash];
    const head = this.oldest();
    if (head && head.seq <= reusableThroughSeq && this.expired(head, this.lastReceivedAt, count)) {
      this.sql.exec(
        `UPDATE batches SET seq = ?, received_at = ?, points = ?, min_ts = ?, max_ts = ?, body = ?,
           idempotency_key = ?, request_hash = ? WHERE seq = ?`,
        ...values.map((value) => value ?? null),
        head.seq,
      );
      this.head.shift();
      this.recent.drop(head.seq);
      this.points -= head.points;
    } else {
      this.sql.exec(
        `INSERT INTO batches (seq, received_at, points, min_ts, max_ts, body, idempotency_key, request_hash)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
        ...values.map((value) => value ?? null),
      );
    }
    this.recent.add({ seq, receivedAt: this.lastReceivedAt, minTs, maxTs, blob: blob.buffer as ArrayBuffer });
    this.lastSeq = seq;
    this.points += count;
    return seq;
  }

  /** Oldest seq still stored, or null when the log is empty. */
  firstSeq(): number | null {
    return this.oldest()?.seq ?? null;
  }

  /** Number of points stored after `afterSeq`. */
  pointsAfter(afterSeq: number): number {
    return (
      this.sql
        .exec<{ n: number | null }>("SELECT sum(points) AS n FROM batches WHERE seq > ?", afterSeq)
        .one().n ?? 0
    );
  }

  /** Batches with `afterSeq < seq <= throughSeq`, in order. */
  *read(afterSeq: number, throughSeq = Number.MAX_SAFE_INTEGER): Generator<LoggedBatch> {
    const rows = this.sql.exec<{ seq: number; received_at: number; body: ArrayBuffer }>(
      "SELECT seq, received_at, body FROM batches WHERE seq > ? AND seq <= ? ORDER BY seq",
      afterSeq,
      throughSeq,
    );
    for (const row of rows) yield { seq: row.seq, receivedAt: row.received_at, batch: decodeBatch(row.body) };
  }

  /** The first seq received at or after `since`, by binary search (received_at never decreases with seq). */
  private firstReceivedSince(since: number): number | null {
    let low = this.firstSeq();
    if (low === null) return null;
    const recent = this.recent.firstReceivedSince(since, this.lastSeq + 1, low > this.recent.coveredAfter);
    if (recent !== undefined) return recent;
    let high = this.lastSeq + 1;
    while (low < high) {
      const middle = Math.floor((low + high) / 2);
      const row = this.sql
        .exec<{ seq: number; received_at: number }>(
          "SELECT seq, received_at FROM batches WHERE seq >= ? ORDER BY seq LIMIT 1",
          middle,
        )
        .toArray()[0];
      if (!row || row.received_at >= since) high = middle;
      else low = row.seq + 1;
    }
    return low;
  }

  /**
   * Batches received at or after `since` holding points in `[fromTs, toTs)`, found by binary search on seq
   * (received_at never decreases with seq); batches without such points are skipped before decoding. Rows are
   * scanned by ranges of seq that double (a cursor left early has still read its whole scan), so a reader that
   * stops early has read at most about twice the rows it used. The rows the log keeps in memory come from there.
   */
  *readReceivedSince(since: number, fromTs: number, toTs: number): Generator<LoggedBatch> {
    const first = this.firstReceivedSince(since);
    if (first === null) return;
    const storedThrough = Math.min(this.lastSeq, this.recent.coveredAfter);
    for (let low = first, page = FIRST_PAGE_ROWS; low <= storedThrough; low += page, page *= 2) {
      const rows = this.sql.exec<{ seq: number; received_at: number; body: ArrayBuffer }>(
        `SELECT seq, received_at, body FROM batches WHERE seq >= ? AND seq < ? AND max_ts >= ? AND min_ts < ?
           ORDER BY seq`,
        low,
        Math.min(low + page, storedThrough + 1),
        fromTs,
        toTs,
      );
      for (const row of rows)
        yield { seq: row.seq, receivedAt: row.received_at, batch: decodeBatch(row.body) };
    }
    yield* this.recent.overlapping(first, fromTs, toTs);
  }

  /** Batches received at or after `since` that carried an idempotency key, with what a repeat is answered. */
  *readKeyed(
    since: number,
  ): Generator<{ key: string; hash: string; seq: number; accepted: number; receivedAt: number }> {
    const first = this.firstReceivedSince(since);
    if (first === null) return;
    const rows = this.sql.exec<{
      seq: number;
      received_at: number;
      points: number;
      idempotency_key: string;
      request_hash: string;
    }>(
      `SELECT seq, received_at, points, idempotency_key, request_hash FROM batches
        WHERE seq >= ? AND idempotency_key IS NOT NULL ORDER BY seq`,
      first,
    );
    for (const row of rows) {
      yield {
        key: row.idempotency_key,
        hash: row.request_hash,
        seq: row.seq,
        accepted: row.points,
        receivedAt: row.received_at,
      };
    }
  }

  /** Whether rows no batch took over are waiting to be deleted at `now`, or the log holds too many points. */
  private leftover(row: HeadRow, now: number): boolean {
    return now - row.receivedAt >= this.leftoverAgeMs || this.points > this.retention.maxPoints;
  }

  private get leftoverAgeMs(): number {
    return this.retention.retentionMs + Math.max(this.retention.retentionMs, LEFTOVER_GRACE_MS);
  }

  /**
   * Deletes head rows left over at `now` (see the class comment), never past `throughSeq` and at most `limit`.
   * Returns the rows deleted.
   */
  trimLeftovers(now: number, throughSeq: number, limit: number): number {
    let last: number | null = null;
    let deleted = 0;
    for (let row = this.oldest(); row && deleted < limit; row = this.oldest()) {
      if (row.seq > throughSeq || !this.leftover(row, now)) break;
      last = row.seq;
      this.points -= row.points;
      this.head.shift();
      deleted++;
    }
    if (last !== null) {
      this.sql.exec("DELETE FROM batches WHERE seq <= ?", last);
      this.recent.drop(last);
    }
    return deleted;
  }

  /** When `trimLeftovers` next has work, or null when the log is empty. */
  nextLeftoverDue(now: number): number | null {
    const row = this.oldest();
    if (!row) return null;
    return this.points > this.retention.maxPoints ? now : row.receivedAt + this.leftoverAgeMs;
  }

  /** When the newest batch was received (received times never decrease along the log), 0 before the first. */
  get newestReceivedAt(): number {
    return this.lastReceivedAt;
  }

  /** When the oldest stored batch was received, or null when the log is empty. */
  oldestReceivedAt(): number | null {
    return this.oldest()?.receivedAt ?? null;
  }
}
