import { type BucketAggregate, emptyAggregate, emptyColumns, pushBucket } from "./columns.ts";
import type { Sql } from "./metered-sql.ts";
import { bucketsPerChunk, RESOLUTIONS, SERIES_PER_BLOCK } from "./resolutions.ts";
import { RollupReadCache } from "./rollup-read-cache.ts";
import {
  BUCKET_FIELDS,
  COUNT,
  foldIntoBucket,
  LAST,
  LAST_TS,
  MAX,
  MIN,
  NAN,
  NEG_INF,
  NON_FINITE_FIELDS,
  POS_INF,
  Segment,
  type SeriesBuckets,
  SUM,
} from "./segment.ts";
import type { ColumnsWithLastTs } from "./shard-api.ts";

/** A chunk of a block's rollups: the segment in memory, or its stored row's blob. */
export type StoredOrHeld = { chunk: number; held: Segment } | { chunk: number; body: ArrayBuffer };

/** A segment and the row it belongs to. */
interface Held {
  res: number;
  block: number;
  segment: Segment;
}

/** Where a series' last point went at one resolution: most points of a series land there again. */
interface Current {
  chunk: number;
  held: Held;
  buckets: SeriesBuckets;
}

function key(res: number, block: number, chunk: number): string {
  return `${res}/${block}/${chunk}`;
}

export const blockOf = (seriesId: number) => Math.floor(seriesId / SERIES_PER_BLOCK);
export const localOf = (seriesId: number) => seriesId % SERIES_PER_BLOCK;

/** One stored bucket: its fields at `o` of a series' array, its non-finite counts at `c` when it has any. */
interface BucketView {
  buckets: SeriesBuckets;
  o: number;
  counts: Uint32Array | undefined;
  c: number;
}

/** Collects buckets into `step`-wide columns; buckets must come in time order. */
class StepColumns {
  readonly columns = emptyColumns();
  private start = Number.NaN;
  /** The step being collected; null before the first bucket and once finished. */
  private step: BucketAggregate | null = null;

  add(stepStart: number, bucket: BucketView): void {
    if (stepStart !== this.start || !this.step) {
      this.finish();
      this.start = stepStart;
      this.step = emptyAggregate();
    }
    const step = this.step;
    const { buckets, o, counts, c } = bucket;
    step.count += buckets[o + COUNT]!;
    step.sum += buckets[o + SUM]!;
    step.min = Math.min(step.min, buckets[o + MIN]!);
    step.max = Math.max(step.max, buckets[o + MAX]!);
    // Buckets never overlap in time, so a step's last value is the last value of its newest bucket.
    step.last = buckets[o + LAST]!;
    step.lastTs = buckets[o + LAST_TS]!;
    if (counts) {
      step.nan += counts[c + NAN]!;
      step.posInf += counts[c + POS_INF]!;
      step.negInf += counts[c + NEG_INF]!;
    }
  }

  finish(): ColumnsWithLastTs {
    if (this.step && this.step.count > 0) pushBucket(this.columns, this.start, this.step);
    this.step = null;
    return this.columns;
  }
}

/**
 * Rollups of every series at each resolution, stored as one row per (resolution, block of series, chunk of time).
 * Segments that points land in are held in memory whole (loaded from their row on first touch); `checkpoint`
 * rewrites the changed ones, one row each, so rows written follow chunks touched, not points or buckets. Queries
 * read stored rows and overlay the held segments, so they need no checkpoint.
 */
export class Rollups {
  /** Copies of stored entries PromQL read, kept equal to their rows (see `RollupReadCache`). */
  readonly readCache = new RollupReadCache();
  private readonly sql: Sql;
  private held = new Map<string, Held>();
  /** Per resolution, indexed by series id. */
  private current: Array<Array<Current | undefined>> = RESOLUTIONS.map(() => []);
  private dirtyCount = 0;
  /** Memory held by the segments' arrays, and what the last checkpoint kept of it. */
  private bytes = 0;
  private keptBytes = 0;
  /**
   * Per resolution, chunks starting at or before this may have been deleted by `expire`: what it passed, or for
   * an earlier wake what it could have passed by now.
   */
  private expiredThrough = RESOLUTIONS.map(({ retentionMs, chunkMs }) => Date.now() - retentionMs - chunkMs);

  constructor(sql: Sql) {
    this.sql = sql;
  }

  /**
   * The first chunk of resolution `res` from which on every chunk holds each point of its span that the shard
   * received: none was deleted by `expire`, and none skipped by `add` (a point is skipped only when received once
   * its chunk was past retention, and nothing was received after `newestReceivedAt`).
   */
  completeFrom(res: number, newestReceivedAt: number): number {
    const { chunkMs, retentionMs } = RESOLUTIONS[res]!;
    const incomplete = Math.max(this.expiredThrough[res]!, newestReceivedAt - chunkMs - retentionMs);
    return incomplete - (((incomplete % chunkMs) + chunkMs) % chunkMs) + chunkMs;
  }

  /** Segments changed since the last checkpoint. */
  get dirtySegments(): number {
    return this.dirtyCount;
  }

  /**
   * Memory held segments took on since the last checkpoint, which the next one can let go of (it keeps the newest
   * segment of each block, where points go: with many series that part alone is tens of MB, and stays).
   */
  get grownBytes(): number {
    return this.bytes - this.keptBytes;
  }

  /**
   * Folds one point into every resolution. A resolution whose retention has already passed the point's chunk
   * (judged at `receivedAt`, so a replay decides alike) skips it: the coarser ones keep it.
   */
  add(seriesId: number, ts: number, value: number, receivedAt: number): void {
    for (let r = 0; r < RESOLUTIONS.length; r++) {
      const resolution = RESOLUTIONS[r]!;
      const chunk = ts - (ts % resolution.chunkMs);
      let current = this.current[r]![seriesId];
      if (current === undefined || current.chunk !== chunk) {
        if (chunk + resolution.chunkMs + resolution.retentionMs <= receivedAt) continue;
        const held = this.hold(r, blockOf(seriesId), chunk);
        const bytesBefore = held.segment.bytes;
        current = { chunk, held, buckets: held.segment.buckets(localOf(seriesId)) };
        this.bytes += held.segment.bytes - bytesBefore;
        this.current[r]![seriesId] = current;
      }
      const index = Math.floor((ts - chunk) / resolution.ms);
      const { segment } = current.held;
      foldIntoBucket(current.buckets, index, ts, value);
      if (!Number.isFinite(value)) this.bytes += segment.countNonFinite(localOf(seriesId), index, value);
      if (!segment.dirty) {
        segment.dirty = true;
        this.dirtyCount++;
      }
    }
  }

  private hold(res: number, block: number, chunk: number): Held {
    const k = key(res, block, chunk);
    let held = this.held.get(k);
    if (!held) {
      held = { res, block, segment: this.load(res, block, chunk) ?? this.empty(res, chunk) };
      this.held.set(k, held);
      this.bytes += held.segment.bytes;
    }
    return held;
  }

  private empty(res: number, chunk: number): Segment {
    const resolution = RESOLUTIONS[res]!;
    return new Segment(chunk, resolution.ms, bucketsPerChunk(resolution));
  }

  private load(res: number, block: number, chunk: number): Segment | null {
    const body = this.storedRow(res, block, chunk);
    return body ? this.decode(res, chunk, body) : null;
  }

  private decode(res: number, chunk: number, body: ArrayBuffer, only?: ReadonlySet<number>): Segment {
    const resolution = RESOLUTIONS[res]!;
    return Segment.decode(chunk, resolution.ms, bucketsPerChunk(resolution), body, only);
  }

  /**
   * Writes every changed segment (one row each); call inside the checkpoint transaction. Keeps only the newest
   * segment of each resolution and block, where the next points go; older ones are read back if late points
   * come.
   */
  checkpoint(): void {
    const newest = new Map<string, Held>();
    for (const held of this.held.values()) {
      if (held.segment.dirty) {
        this.sql.exec(
          "INSERT INTO rollup_chunks (res, block, chunk, body) VALUES (?, ?, ?, ?) ON CONFLICT (res, block, chunk) DO UPDATE SET body = excluded.body",
          held.res,
          held.block,
          held.segment.chunk,
          held.segment.encode(),
        );
        this.readCache.written(held.res, held.block, held.segment.chunk);
        held.segment.dirty = false;
      }
      const kept = newest.get(`${held.res}/${held.block}`);
      if (!kept || kept.segment.chunk < held.segment.chunk) newest.set(`${held.res}/${held.block}`, held);
    }
    this.held = new Map(
      [...newest.values()].map((held) => [key(held.res, held.block, held.segment.chunk), held]),
    );
    this.current = RESOLUTIONS.map(() => []);
    this.dirtyCount = 0;
    this.bytes = [...this.held.values()].reduce((sum, held) => sum + held.segment.bytes, 0);
    this.keptBytes = this.bytes;
  }

  /**
   * The chunks of a block in `[fromChunk, toChunk]` at one resolution in time order: a held segment where one is
   * held (it is newer than its row), else the stored row's blob, undecoded.
   */
  chunks(res: number, block: number, fromChunk: number, toChunk: number): StoredOrHeld[] {
    const byChunk = new Map<number, StoredOrHeld>();
    for (const [chunk, held] of this.heldChunks(res, block, fromChunk, toChunk))
      byChunk.set(chunk, { chunk, held });
    for (const { chunk, body } of this.storedRows(res, block, fromChunk, toChunk))
      if (!byChunk.has(chunk)) byChunk.set(chunk, { chunk, body });
    return [...byChunk.values()].sort((a, b) => a.chunk - b.chunk);
  }

  /** The stored rows of a block in `[fromChunk, toChunk]` at one resolution, held segments or not. */
  storedRows(
    res: number,
    block: number,
    fromChunk: number,
    toChunk: number,
  ): Array<{ chunk: number; body: ArrayBuffer }> {
    return this.sql
      .exec<{ chunk: number; body: ArrayBuffer }>(
        "SELECT chunk, body FROM rollup_chunks WHERE res = ? AND block = ? AND chunk >= ? AND chunk <= ?",
        res,
        block,
        fromChunk,
        toChunk,
      )
      .toArray();
  }

  /** One stored row's blob, or null. */
  storedRow(res: number, block: number, chunk: number): ArrayBuffer | null {
    const row = this.sql
      .exec<{ body: ArrayBuffer }>(
        "SELECT body FROM rollup_chunks WHERE res = ? AND block = ? AND chunk = ?",
        res,
        block,
        chunk,
      )
      .toArray()[0];
    return row?.body ?? null;
  }

  /** The segments held of a block in `[fromChunk, toChunk]` at one resolution, by chunk. */
  heldChunks(res: number, block: number, fromChunk: number, toChunk: number): Map<number, Segment> {
    const byChunk = new Map<number, Segment>();
    for (const held of this.held.values()) {
      const { chunk } = held.segment;
      if (held.res === res && held.block === block && chunk >= fromChunk && chunk <= toChunk)
        byChunk.set(chunk, held.segment);
    }
    return byChunk;
  }

  /** The segments of a block in `[fromChunk, toChunk]` at one resolution, stored ones overlaid by held ones. */
  private segments(
    res: number,
    block: number,
    fromChunk: number,
    toChunk: number,
    locals: ReadonlySet<number>,
  ): Segment[] {
    return this.chunks(res, block, fromChunk, toChunk).map((c) =>
      "held" in c ? c.held : this.decode(res, c.chunk, c.body, locals),
    );
  }

  /** Calls `visit(i, start, bucket)` for every non-empty bucket of `seriesIds[i]` in `[from, to)`, in time order. */
  private visit(
    res: number,
    seriesIds: number[],
    from: number,
    to: number,
    visit: (i: number, start: number, bucket: BucketView) => void,
  ): void {
    const { ms, chunkMs } = RESOLUTIONS[res]!;
    const byBlock = new Map<number, Array<[local: number, i: number]>>();
    seriesIds.forEach((id, i) => {
      const wanted = byBlock.get(blockOf(id)) ?? [];
      wanted.push([localOf(id), i]);
      byBlock.set(blockOf(id), wanted);
    });
    for (const [block, wanted] of byBlock) {
      const locals = new Set(wanted.map(([local]) => local));
      for (const segment of this.segments(res, block, from - (from % chunkMs), to - 1, locals)) {
        for (const [local, i] of wanted) {
          const buckets = segment.series[local];
          if (!buckets) continue;
          // One view, moved from bucket to bucket: `visit` reads it before the next.
          const view: BucketView = { buckets, o: 0, counts: segment.nonFinite[local], c: 0 };
          for (let b = 0; b < segment.bucketCount; b++) {
            const start = segment.chunk + b * ms;
            view.o = b * BUCKET_FIELDS;
            view.c = b * NON_FINITE_FIELDS;
            if (buckets[view.o] !== 0 && start >= from && start < to) visit(i, start, view);
          }
        }
      }
    }
  }

  /** Buckets of some series in `[from, to)` merged into `step`-wide columns (step a multiple of the bucket width). */
  aggregate(res: number, seriesIds: number[], from: number, to: number, step: number): ColumnsWithLastTs[] {
    const steps = seriesIds.map(() => new StepColumns());
    this.visit(res, seriesIds, from, to, (i, start, bucket) => {
      steps[i]!.add(start - (start % step), bucket);
    });
    return steps.map((s) => s.finish());
  }

  /** Whether each series has a point in a bucket of resolution `res` that starts in `[from, to)`. */
  hasPoints(res: number, seriesIds: number[], from: number, to: number): boolean[] {
    const found = seriesIds.map(() => false);
    this.visit(res, seriesIds, from, to, (i) => {
      found[i] = true;
    });
    return found;
  }

  /** Points of the series, all together, in buckets of resolution `res` that start in `[from, to)`. */
  pointsIn(res: number, seriesIds: number[], from: number, to: number): number {
    let points = 0;
    this.visit(res, seriesIds, from, to, (_i, _start, { buckets, o }) => {
      points += buckets[o + COUNT]!;
    });
    return points;
  }

  /** Points of each series in 1 s buckets from `since` on. */
  countsSince(seriesIds: number[], since: number): number[] {
    const counts = seriesIds.map(() => 0);
    this.visit(0, seriesIds, since, Number.MAX_SAFE_INTEGER, (i, _start, { buckets, o }) => {
      counts[i]! += buckets[o + COUNT]!;
    });
    return counts;
  }

  /**
   * Deletes the chunks of one block at one resolution whose span lies wholly beyond its retention, at most about
   * `budget` rows (a chunk is one row). Returns the rows deleted; fewer than `budget` means the block is clean.
   */
  expire(res: number, block: number, now: number, budget: number): number {
    const { chunkMs, retentionMs } = RESOLUTIONS[res]!;
    const lastExpired = now - retentionMs - chunkMs;
    this.expiredThrough[res] = Math.max(this.expiredThrough[res]!, lastExpired);
    for (const [k, held] of this.held) {
      if (held.res === res && held.block === block && held.segment.chunk <= lastExpired) {
        this.held.delete(k);
        this.bytes -= held.segment.bytes;
      }
    }
    this.current[res] = [];
    const boundary = this.sql
      .exec<{ chunk: number }>(
        "SELECT chunk FROM rollup_chunks WHERE res = ? AND block = ? AND chunk <= ? ORDER BY chunk LIMIT 1 OFFSET ?",
        res,
        block,
        lastExpired,
        budget - 1,
      )
      .toArray()[0];
    const through = boundary?.chunk ?? lastExpired;
    this.readCache.deletedThrough(res, block, through);
    return this.sql.exec(
      "DELETE FROM rollup_chunks WHERE res = ? AND block = ? AND chunk <= ?",
      res,
      block,
      through,
    ).rowsWritten;
  }

  /** The oldest stored chunk of a block at a resolution, or null when it has none. */
  private oldestChunk(res: number, block: number): { chunk: number; body: ArrayBuffer } | null {
    return (
      this.sql
        .exec<{ chunk: number; body: ArrayBuffer }>(
          "SELECT chunk, body FROM rollup_chunks WHERE res = ? AND block = ? ORDER BY chunk LIMIT 1",
          res,
          block,
        )
        .toArray()[0] ?? null
    );
  }

  /** When the oldest stored chunk of a block at a resolution expires, or null when it has none. */
  nextExpiry(res: number, block: number): number | null {
    const oldest = this.oldestChunk(res, block);
    const { chunkMs, retentionMs } = RESOLUTIONS[res]!;
    return oldest ? oldest.chunk + chunkMs + retentionMs + 1 : null;
  }

  /** Start of the oldest non-empty bucket at a resolution over `blocks` blocks, held or stored; null when none. */
  oldestBucket(res: number, blocks: number): number | null {
    const candidates: Segment[] = [];
    for (let block = 0; block < blocks; block++) {
      const row = this.oldestChunk(res, block);
      if (row) candidates.push(this.decode(res, row.chunk, row.body));
    }
    for (const held of this.held.values()) if (held.res === res) candidates.push(held.segment);
    let oldest: number | null = null;
    for (const segment of candidates) {
      for (const buckets of segment.series) {
        for (let b = 0; buckets && b < segment.bucketCount; b++) {
          if (buckets[b * BUCKET_FIELDS] === 0) continue;
          const start = segment.chunk + b * segment.bucketMs;
          if (oldest === null || start < oldest) oldest = start;
          break;
        }
      }
    }
    return oldest;
  }
}
