import { decodeBatch, encodeBatch, type StoredBatch } from "./batch-codec.ts";
import type { SequencedBatch } from "./frame-builder.ts";

/** The durable, append-only log of accepted batches: one row per ingest request, keyed by `seq`. */
export class BatchLog {
  private readonly sql: SqlStorage;
  /** Seq of the newest appended batch (0 before the first). */
  lastSeq: number;

  constructor(sql: SqlStorage, checkpointSeq: number) {
    this.sql = sql;
    const newest = sql.exec<{ seq: number | null }>("SELECT max(seq) AS seq FROM batches").one().seq;
    // Retention never deletes past the checkpoint, so seqs stay monotonic even when the table empties.
    this.lastSeq = Math.max(newest ?? 0, checkpointSeq);
  }

  /** Appends a batch and returns its seq. */
  append(batch: StoredBatch, receivedAt: number): number {
    const seq = this.lastSeq + 1;
    let minTs = Number.POSITIVE_INFINITY;
    let maxTs = Number.NEGATIVE_INFINITY;
    for (const ts of batch.ts) {
      if (ts < minTs) minTs = ts;
      if (ts > maxTs) maxTs = ts;
    }
    this.sql.exec(
      "INSERT INTO batches (seq, received_at, points, min_ts, max_ts, body) VALUES (?, ?, ?, ?, ?, ?)",
      seq,
      receivedAt,
      batch.ts.length,
      minTs,
      maxTs,
      encodeBatch(batch),
    );
    this.lastSeq = seq;
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
  *read(afterSeq: number, throughSeq = Number.MAX_SAFE_INTEGER): Generator<SequencedBatch> {
    const rows = this.sql.exec<{ seq: number; body: ArrayBuffer }>(
      "SELECT seq, body FROM batches WHERE seq > ? AND seq <= ? ORDER BY seq",
      afterSeq,
      throughSeq,
    );
    for (const row of rows) yield { seq: row.seq, batch: decodeBatch(row.body) };
  }

  /**
   * Deletes up to `limit` of the oldest batches received before `cutoff` and not after `throughSeq`.
   * Reads only the head of the log (received_at grows with seq), so each call is bounded.
   * Returns how many it deleted, so callers can go on in chunks.
   */
  deleteOlderThan(cutoff: number, throughSeq: number, limit: number): number {
    let last: number | null = null;
    for (const row of this.sql.exec<{ seq: number; received_at: number }>(
      "SELECT seq, received_at FROM batches ORDER BY seq LIMIT ?",
      limit,
    )) {
      if (row.seq > throughSeq || row.received_at >= cutoff) break;
      last = row.seq;
    }
    if (last === null) return 0;
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
