import { decodeBatch, encodeBatch, type StoredBatch } from "./batch-codec.ts";
import type { SequencedBatch } from "./frame-builder.ts";

export interface LoggedBatch extends SequencedBatch {
  receivedAt: number;
}

/** The durable, append-only log of accepted batches: one row per ingest request, keyed by `seq`. */
export class BatchLog {
  private readonly sql: SqlStorage;
  /** Seq of the newest appended batch (0 before the first). */
  lastSeq: number;
  /** Points held in the log. */
  points: number;
  private lastReceivedAt: number;

  /** `checkpointPoints` is the point count stored at the last checkpoint; batches after it are counted here. */
  constructor(sql: SqlStorage, checkpointSeq: number, checkpointPoints: number) {
    this.sql = sql;
    const newest = sql.exec<{ seq: number | null }>("SELECT max(seq) AS seq FROM batches").one().seq;
    // Retention never deletes past the checkpoint, so seqs stay monotonic even when the table empties.
    this.lastSeq = Math.max(newest ?? 0, checkpointSeq);
    this.points = checkpointPoints + this.pointsAfter(checkpointSeq);
    this.lastReceivedAt =
      sql
        .exec<{ at: number | null }>("SELECT received_at AS at FROM batches WHERE seq = ?", this.lastSeq)
        .toArray()[0]?.at ?? 0;
  }

  /** Appends a batch and returns its seq; `receivedAt` is clamped so it never decreases along the log. */
  append(batch: StoredBatch, receivedAt: number): number {
    const seq = this.lastSeq + 1;
    this.lastReceivedAt = Math.max(this.lastReceivedAt, receivedAt);
    let minTs = Number.POSITIVE_INFINITY;
    let maxTs = Number.NEGATIVE_INFINITY;
    for (const ts of batch.ts) {
      if (ts < minTs) minTs = ts;
      if (ts > maxTs) maxTs = ts;
    }
    this.sql.exec(
      "INSERT INTO batches (seq, received_at, points, min_ts, max_ts, body) VALUES (?, ?, ?, ?, ?, ?)",
      seq,
      this.lastReceivedAt,
      batch.ts.length,
      minTs,
      maxTs,
      encodeBatch(batch),
    );
    this.lastSeq = seq;
    this.points += batch.ts.length;
    return seq;
  }

  /** Oldest seq still stored, or null when the log is empty. */
  firstSeq(): number | null {
    return this.sql.exec<{ seq: number | null }>("SELECT min(seq) AS seq FROM batches").one().seq;
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

  /** Batches received at or after `since`, found by binary search on seq: received_at never decreases with seq. */
  readReceivedSince(since: number): Generator<LoggedBatch> {
    let low = this.firstSeq();
    if (low === null) return this.read(this.lastSeq);
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
    return this.read(low - 1);
  }

  /**
   * Deletes batches from the head of the log while they are older than `cutoff` or the log holds `excessPoints`
   * too many, never past `throughSeq` and at most `limit` rows. Reads only the head (received_at grows with seq),
   * so each call is bounded; callers go on in chunks. Returns the rows deleted.
   */
  trimHead(cutoff: number, excessPoints: number, throughSeq: number, limit: number): number {
    let last: number | null = null;
    let points = 0;
    for (const row of this.sql.exec<{ seq: number; received_at: number; points: number }>(
      "SELECT seq, received_at, points FROM batches ORDER BY seq LIMIT ?",
      limit,
    )) {
      if (row.seq > throughSeq || (row.received_at >= cutoff && points >= excessPoints)) break;
      last = row.seq;
      points += row.points;
    }
    if (last === null) return 0;
    this.points -= points;
    return this.sql.exec("DELETE FROM batches WHERE seq <= ?", last).rowsWritten;
  }

  /** When the oldest stored batch was received, or null when the log is empty. */
  oldestReceivedAt(): number | null {
    const rows = this.sql
      .exec<{ at: number }>("SELECT received_at AS at FROM batches ORDER BY seq LIMIT 1")
      .toArray();
    return rows[0]?.at ?? null;
  }
}
