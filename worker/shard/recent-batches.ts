import { decodeBatch } from "./batch-codec.ts";
import type { LoggedBatch } from "./batch-log.ts";

/** Bytes of blobs the log keeps in memory: the last hour of a shard of 2,500 series scraped every 15 s, and more. */
export const RECENT_BATCHES_BYTES = 16 * 1024 * 1024;

/** A log row as it was appended: its blob, and the times of its points. */
export interface RecentRow {
  seq: number;
  receivedAt: number;
  minTs: number;
  maxTs: number;
  blob: ArrayBuffer;
}

/**
 * The newest rows of the batch log as they were appended, in seq order, within a byte budget: reads of the last
 * minutes (a dashboard's raw window, live history) take them from here instead of SQLite, which costs a cursor step,
 * a copy of the blob out of SQLite and a row read each. Rows are never rewritten, only appended and deleted from the
 * oldest, so a copy stays exact while the log's own bookkeeping (`drop`) follows every delete. Every row with a seq
 * above `coveredAfter` is here; after a wake nothing older than the first append is.
 */
export class RecentBatches {
  private rows: RecentRow[] = [];
  /** Index of the oldest row held: rows before it were dropped (compacted away now and then). */
  private first = 0;
  private bytes = 0;
  private readonly maxBytes: number;
  coveredAfter: number;

  constructor(lastSeq: number, maxBytes = RECENT_BATCHES_BYTES) {
    this.coveredAfter = lastSeq;
    this.maxBytes = maxBytes;
  }

  add(row: RecentRow): void {
    this.rows.push(row);
    this.bytes += row.blob.byteLength;
    while (this.bytes > this.maxBytes && this.first < this.rows.length) {
      const oldest = this.rows[this.first++]!;
      this.bytes -= oldest.blob.byteLength;
      this.coveredAfter = oldest.seq;
    }
    this.compact();
  }

  /** Forgets the rows with a seq at or below `throughSeq`: the log deleted them, or a new batch took one over. */
  drop(throughSeq: number): void {
    while (this.first < this.rows.length && this.rows[this.first]!.seq <= throughSeq)
      this.bytes -= this.rows[this.first++]!.blob.byteLength;
    this.compact();
  }

  private compact(): void {
    if (this.first > 1024 && this.first * 2 > this.rows.length) {
      this.rows = this.rows.slice(this.first);
      this.first = 0;
    }
  }

  /**
   * The first seq received at or after `since` when the rows held can tell (the oldest held was received before it,
   * or `holdsAll`: the log has no older row), else undefined; `nextSeq` when no row held was.
   */
  firstReceivedSince(since: number, nextSeq: number, holdsAll: boolean): number | undefined {
    if (this.first >= this.rows.length) return holdsAll ? nextSeq : undefined;
    if (!holdsAll && this.rows[this.first]!.receivedAt >= since) return undefined;
    const i = this.firstWhere((row) => row.receivedAt >= since);
    return i < this.rows.length ? this.rows[i]!.seq : nextSeq;
  }

  /** The rows held with `seq >= fromSeq` holding points in `[fromTs, toTs)`, in seq order. */
  *overlapping(fromSeq: number, fromTs: number, toTs: number): Generator<LoggedBatch> {
    for (let i = this.firstWhere((row) => row.seq >= fromSeq); i < this.rows.length; i++) {
      const row = this.rows[i]!;
      if (row.maxTs < fromTs || row.minTs >= toTs) continue;
      yield { seq: row.seq, receivedAt: row.receivedAt, batch: decodeBatch(row.blob) };
    }
  }

  /** Index of the first row held for which `after` holds, by binary search (seq and receivedAt never decrease). */
  private firstWhere(after: (row: RecentRow) => boolean): number {
    let low = this.first;
    let high = this.rows.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (after(this.rows[middle]!)) high = middle;
      else low = middle + 1;
    }
    return low;
  }
}
