import { type StoredEntry, storedEntries } from "./segment.ts";

/** Bytes of stored rollup entries a shard keeps copied for queries asked again. */
export const ROLLUP_READ_CACHE_BYTES = 8 * 1024 * 1024;
/** Bytes of a stored bucket (see `Segment`) and of its non-finite counts, to size what a read would copy. */
const BUCKET_BYTES = 57;
const NON_FINITE_BYTES = 12;
/** About what the typed arrays of one copied entry take besides their numbers. */
export const ENTRY_OVERHEAD_BYTES = 1024;

/** A stored row's entries of the series looked for in it; null where the row has none for that series. */
interface CachedRow {
  entries: Map<number, StoredEntry | null>;
  bytes: number;
}

/** Which rows of a block at a resolution exist in `[from, to]`, as read and kept up to date by every write since. */
interface KnownRows {
  from: number;
  to: number;
  chunks: Set<number>;
}

const key = (res: number, block: number, chunk: number) => `${res}/${block}/${chunk}`;

function copyEntry(e: StoredEntry): StoredEntry {
  const copy: StoredEntry = {
    local: e.local,
    count: e.count.slice(),
    sum: e.sum.slice(),
    min: e.min.slice(),
    max: e.max.slice(),
    first: e.first.slice(),
    last: e.last.slice(),
    firstOffsets: e.firstOffsets.slice(),
    lastOffsets: e.lastOffsets.slice(),
    indexes: e.indexes.slice(),
  };
  if (e.nonFinite) copy.nonFinite = [e.nonFinite[0].slice(), e.nonFinite[1].slice(), e.nonFinite[2].slice()];
  return copy;
}

const entryBytes = (e: StoredEntry) =>
  ENTRY_OVERHEAD_BYTES + e.indexes.length * (BUCKET_BYTES + (e.nonFinite ? NON_FINITE_BYTES : 0));

/**
 * Copies of the entries PromQL read from stored rollup rows, for the series it read them for, and which rows exist,
 * so a panel asked again (a dashboard's refresh) reads no row instead of blobs that hold a whole block of 128
 * series. (Listing the rows' keys is no cheaper: SQLite compares a range's end against each row's whole record.)
 * Every write of a row passes here (`written`, at checkpoints; `deletedThrough`, at expiry), so copies always equal
 * their rows; the least recently used copies go past `maxBytes`.
 */
export class RollupReadCache {
  private readonly rows = new Map<string, CachedRow>();
  private readonly known = new Map<string, KnownRows>();
  private bytes = 0;
  readonly maxBytes: number;

  constructor(maxBytes = ROLLUP_READ_CACHE_BYTES) {
    this.maxBytes = maxBytes;
  }

  /**
   * Whether a read of `series` series over `chunks` rows of `buckets` buckets may keep copies: at most half the
   * cache, so a scan of many series neither copies for nothing nor pushes out what smaller panels keep reading.
   */
  admits(series: number, chunks: number, buckets: number): boolean {
    const perEntry = ENTRY_OVERHEAD_BYTES + buckets * (BUCKET_BYTES + NON_FINITE_BYTES);
    return series * chunks * perEntry <= this.maxBytes / 2;
  }

  /**
   * The parts of `[from, to]` where this does not know which rows of a block exist: none, one or two ranges next
   * to what it knows, or the whole when that does not touch it.
   */
  unknown(res: number, block: number, from: number, to: number): Array<[from: number, to: number]> {
    const known = this.known.get(`${res}/${block}`);
    if (!known || to < known.from - 1 || from > known.to + 1) return [[from, to]];
    const gaps: Array<[number, number]> = [
      [from, known.from - 1],
      [known.to + 1, to],
    ];
    return gaps.filter(([a, b]) => a <= b);
  }

  /** Notes the rows a read found of a block in `[from, to]`, a range `unknown` answered. */
  learn(res: number, block: number, from: number, to: number, chunks: readonly number[]): void {
    const k = `${res}/${block}`;
    const known = this.known.get(k);
    if (!known || to < known.from - 1 || from > known.to + 1) {
      this.known.set(k, { from, to, chunks: new Set(chunks) });
      return;
    }
    known.from = Math.min(known.from, from);
    known.to = Math.max(known.to, to);
    for (const chunk of chunks) known.chunks.add(chunk);
  }

  /** The chunks of a block in `[from, to]` that have a row, once `unknown` has nothing there. */
  storedChunks(res: number, block: number, from: number, to: number): number[] {
    const known = this.known.get(`${res}/${block}`);
    return [...(known?.chunks ?? [])].filter((chunk) => chunk >= from && chunk <= to).sort((a, b) => a - b);
  }

  /** The copied entries of `locals` in a row, or undefined when any of them was not read from it. */
  get(res: number, block: number, chunk: number, locals: ReadonlySet<number>): StoredEntry[] | undefined {
    const k = key(res, block, chunk);
    const row = this.rows.get(k);
    if (!row) return undefined;
    const out: StoredEntry[] = [];
    for (const local of locals) {
      const entry = row.entries.get(local);
      if (entry === undefined) return undefined;
      if (entry) out.push(entry);
    }
    this.rows.delete(k);
    this.rows.set(k, row);
    return out;
  }

  /** Reads the entries of `locals` from a row's blob, keeps copies of them (and which it lacks) and returns them. */
  put(
    res: number,
    block: number,
    chunk: number,
    body: ArrayBuffer,
    locals: ReadonlySet<number>,
  ): StoredEntry[] {
    const k = key(res, block, chunk);
    const row = this.rows.get(k) ?? { entries: new Map<number, StoredEntry | null>(), bytes: 0 };
    this.rows.delete(k);
    const out: StoredEntry[] = [];
    for (const local of locals) if (!row.entries.has(local)) row.entries.set(local, null);
    for (const entry of storedEntries(body, locals)) {
      const known = row.entries.get(entry.local);
      const copy = known ?? copyEntry(entry);
      if (!known) {
        row.entries.set(entry.local, copy);
        row.bytes += entryBytes(copy);
        this.bytes += entryBytes(copy);
      }
      out.push(copy);
    }
    this.rows.set(k, row);
    while (this.bytes > this.maxBytes && this.rows.size > 1) {
      const [oldest, evicted] = this.rows.entries().next().value!;
      this.rows.delete(oldest);
      this.bytes -= evicted.bytes;
    }
    return out;
  }

  /** A row is being written: it exists, and its copies go. */
  written(res: number, block: number, chunk: number): void {
    const known = this.known.get(`${res}/${block}`);
    if (known && chunk >= known.from && chunk <= known.to) known.chunks.add(chunk);
    this.forget(res, block, chunk);
  }

  private forget(res: number, block: number, chunk: number): void {
    const k = key(res, block, chunk);
    const row = this.rows.get(k);
    if (!row) return;
    this.rows.delete(k);
    this.bytes -= row.bytes;
  }

  /** A block's rows at a resolution up to `lastChunk` are being deleted. */
  deletedThrough(res: number, block: number, lastChunk: number): void {
    const known = this.known.get(`${res}/${block}`);
    for (const chunk of known?.chunks ?? []) if (chunk <= lastChunk) known!.chunks.delete(chunk);
    const prefix = `${res}/${block}/`;
    for (const k of [...this.rows.keys()])
      if (k.startsWith(prefix) && Number(k.slice(prefix.length)) <= lastChunk)
        this.forget(res, block, Number(k.slice(prefix.length)));
  }
}
