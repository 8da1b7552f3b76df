import { describe, expect, it } from "vitest";
import { BoardMirror, type ShardBatches } from "../../worker/live/mirror.ts";
import type { StoredBatch } from "../../worker/shard/batch-codec.ts";

const batch = (seq: number) => ({
  seq,
  batch: { seriesIds: [1], ts: [seq * 1000], values: [seq] } as unknown as StoredBatch,
});
const shard = (seqs: number[]): ShardBatches => ({ sid: 0, epoch: 7, batches: seqs.map(batch) });
const seqsOf = (parts: ShardBatches[]) => parts.map((part) => part.batches.map((b) => b.seq));

describe("BoardMirror framing after a rebuild from a lower bound", () => {
  const rebuilt = () =>
    BoardMirror.fromSnapshots([{ sid: 0, epoch: 7, lastSeq: 5, pushedSeq: 2, series: [], presence: [] }]);

  it("sends batches viewers may already hold one frame each, and the rest as one frame", () => {
    expect(seqsOf(rebuilt().framed(shard([3, 4, 5, 6, 7])))).toEqual([[3], [4], [5], [6, 7]]);
  });

  it("frames normally once it has sent past what viewers may hold", () => {
    const mirror = rebuilt();
    mirror.sentBatches(shard([3, 4, 5]));
    expect(seqsOf(mirror.framed(shard([6, 7])))).toEqual([[6, 7]]);
    expect(mirror.heldAtMost()).toEqual([{ sid: 0, epoch: 7, seq: 5 }]);
  });

  it("passes the bound on to a relay's mirror, and ignores it for another epoch", () => {
    const hub = rebuilt();
    const relay = new BoardMirror({
      series: [],
      presence: [],
      positions: hub.positions(),
      unsure: hub.heldAtMost(),
    });
    expect(seqsOf(relay.framed(shard([3, 4])))).toEqual([[3], [4]]);
    const other = new BoardMirror({
      series: [],
      presence: [],
      positions: [{ sid: 0, epoch: 8, seq: 0 }],
      unsure: hub.heldAtMost(),
    });
    expect(seqsOf(other.framed({ ...shard([1, 2]), epoch: 8 }))).toEqual([[1, 2]]);
  });

  it("keeps a fresh view's frames whole: its viewers hold nothing past what it sent", () => {
    const fresh = BoardMirror.fromSnapshots([
      { sid: 0, epoch: 7, lastSeq: 5, pushedSeq: 5, series: [], presence: [] },
    ]);
    expect(seqsOf(fresh.framed(shard([6, 7])))).toEqual([[6, 7]]);
  });
});
