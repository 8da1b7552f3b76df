import { describe, expect, it } from "vitest";
import { ENTRY_OVERHEAD_BYTES, RollupReadCache } from "../../worker/shard/rollup-read-cache.ts";
import { foldIntoBucket, Segment } from "../../worker/shard/segment.ts";

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

/** A stored 1-minute row of a block whose series `locals` hold a point a minute valued `value`. */
function row(locals: number[], value: number): ArrayBuffer {
  const segment = new Segment(0, MINUTE, 60);
  for (const local of locals)
    for (let m = 0; m < 60; m++) foldIntoBucket(segment.buckets(local), m, m * MINUTE, value);
  return segment.encode().buffer as ArrayBuffer;
}

describe("RollupReadCache", () => {
  it("answers the entries read from a row, and nothing for series it did not read there", () => {
    const cache = new RollupReadCache();
    const read = cache.put(1, 0, 0, row([3, 5], 7), new Set([3, 4]));
    expect(read.map((e) => e.local)).toEqual([3]);
    // Local 4 was looked for and is not in the row: known absent. Local 5 was never looked for.
    expect(cache.get(1, 0, 0, new Set([3, 4]))?.map((e) => [...e.last])).toEqual([Array(60).fill(7)]);
    expect(cache.get(1, 0, 0, new Set([3, 5]))).toBeUndefined();
    expect(cache.get(1, 0, HOUR, new Set([3]))).toBeUndefined();
  });

  it("keeps copies, not views of the blob it read", () => {
    const cache = new RollupReadCache();
    const body = row([0], 1);
    cache.put(1, 0, 0, body, new Set([0]));
    new Float64Array(body).fill(0);
    expect([...cache.get(1, 0, 0, new Set([0]))![0]!.last]).toEqual(Array(60).fill(1));
  });

  it("drops a rewritten row's copies, and a block's deleted rows' copies up to a chunk", () => {
    const cache = new RollupReadCache();
    const cached = (block: number, chunk: number) => cache.get(1, block, chunk, new Set([0])) !== undefined;
    for (const chunk of [0, HOUR, 2 * HOUR]) cache.put(1, 0, chunk, row([0], 1), new Set([0]));
    cache.put(1, 1, 0, row([0], 1), new Set([0]));
    cache.written(1, 0, 2 * HOUR);
    expect(cached(0, 2 * HOUR)).toBe(false);
    cache.deletedThrough(1, 0, HOUR);
    expect([cached(0, 0), cached(0, HOUR), cached(1, 0)]).toEqual([false, false, true]);
  });

  it("knows which rows exist where a read listed them, and follows every write and delete after", () => {
    const cache = new RollupReadCache();
    expect(cache.unknown(1, 0, 0, 5 * HOUR)).toEqual([[0, 5 * HOUR]]);
    cache.learn(1, 0, HOUR, 3 * HOUR, [HOUR, 3 * HOUR]);
    // What it does not know next to what it knows; a range apart is unknown whole.
    expect(cache.unknown(1, 0, 0, 5 * HOUR)).toEqual([
      [0, HOUR - 1],
      [3 * HOUR + 1, 5 * HOUR],
    ]);
    expect(cache.unknown(1, 0, 2 * HOUR, 3 * HOUR)).toEqual([]);
    expect(cache.unknown(1, 0, 10 * HOUR, 11 * HOUR)).toEqual([[10 * HOUR, 11 * HOUR]]);
    cache.learn(1, 0, 3 * HOUR + 1, 5 * HOUR, [5 * HOUR]);
    cache.written(1, 0, 2 * HOUR);
    cache.deletedThrough(1, 0, HOUR);
    expect(cache.storedChunks(1, 0, 0, 5 * HOUR)).toEqual([2 * HOUR, 3 * HOUR, 5 * HOUR]);
    expect(cache.storedChunks(1, 1, 0, 5 * HOUR)).toEqual([]);
  });

  it("lets the least recently used rows go past its size", () => {
    // A row of one series' 60 buckets is 60 × 57 bytes and its arrays: room for two.
    const cache = new RollupReadCache(2 * (60 * 57 + ENTRY_OVERHEAD_BYTES));
    cache.put(1, 0, 0, row([0], 1), new Set([0]));
    cache.put(1, 0, HOUR, row([0], 1), new Set([0]));
    cache.get(1, 0, 0, new Set([0]));
    cache.put(1, 0, 2 * HOUR, row([0], 1), new Set([0]));
    const cached = [0, HOUR, 2 * HOUR].map((chunk) => cache.get(1, 0, chunk, new Set([0])) !== undefined);
    expect(cached).toEqual([true, false, true]);
  });

  it("admits a read of at most half its size", () => {
    const cache = new RollupReadCache(8 * 1024 * 1024);
    // 25 series over 25 one-hour rows of 60 buckets: 3.2 MB at most; 128 series: 16 MB.
    expect(cache.admits(25, 25, 60)).toBe(true);
    expect(cache.admits(128, 25, 60)).toBe(false);
  });
});
