import { describe, expect, it } from "vitest";
import { HistorySeam } from "../../dashboard/src/history-seam.ts";
import type { DataFrame, StreamPosition } from "../../worker/protocol/index.ts";

const EPOCH = 7;

/** A frame of shard `sid`'s batches fromSeq..toSeq with one point for each series named. */
function frame(fromSeq: number, toSeq: number, seriesIds = [0], epoch = EPOCH, sid = 0): DataFrame {
  return {
    sid,
    epoch,
    fromSeq,
    toSeq,
    groups: seriesIds.map((seriesId) => ({ seriesId, ts: [toSeq], values: [1] })),
  };
}

const seqs = (frames: DataFrame[]) => frames.map((f) => [f.fromSeq, f.toSeq]);

/** A history answer holding shard 0's batches up to `seq`, for `seriesIds`. */
function covering(seq: number, seriesIds: number[], epoch = EPOCH) {
  return { positions: [{ sid: 0, epoch, seq }], seriesIds };
}

/** The live connection's position in shard 0's stream. */
function live(epoch: number): StreamPosition {
  return [{ sid: 0, epoch, seq: 0 }];
}

describe("HistorySeam", () => {
  it("holds frames while the history request is in flight", () => {
    const seam = new HistorySeam();
    seam.begin();
    expect(seam.live(frame(5, 6))).toBeNull();
    expect(seam.live(frame(7, 7))).toBeNull();
  });

  it("drops held frames the history already holds (toSeq <= seq) and keeps those after it, in order", () => {
    const seam = new HistorySeam();
    seam.begin();
    for (const [from, to] of [
      [4, 5],
      [6, 10],
      [11, 11],
      [12, 14],
    ] as const) {
      seam.live(frame(from, to));
    }
    const settled = seam.settle([covering(10, [0])], live(EPOCH));
    expect(settled.reload).toBe(false);
    expect(!settled.reload && seqs(settled.frames)).toEqual([
      [11, 11],
      [12, 14],
    ]);
  });

  it("judges frames that arrive after the answer the same way: at or before seq dropped, after it shown", () => {
    const seam = new HistorySeam();
    seam.begin();
    seam.settle([covering(10, [0])], live(EPOCH));
    expect(seam.live(frame(9, 10))).toBeNull();
    expect(seam.live(frame(10, 10))).toBeNull();
    expect(seam.live(frame(11, 12))).toEqual(frame(11, 12));
  });

  it("asks for a reload when a frame straddles the seq, since a frame cannot be cut by batch", () => {
    const seam = new HistorySeam();
    seam.begin();
    seam.live(frame(8, 12));
    expect(seam.settle([covering(10, [0])], live(EPOCH))).toEqual({ reload: true });
    seam.begin();
    seam.settle([covering(10, [0])], live(EPOCH));
    expect(seam.live(frame(9, 11))).toBe("reload");
  });

  it("cuts each series at the seq of the answer that holds it when history took several requests", () => {
    const seam = new HistorySeam();
    seam.begin();
    seam.live(frame(11, 11, [0, 1]));
    seam.live(frame(12, 12, [0, 1]));
    const settled = seam.settle([covering(10, [0]), covering(11, [1])], live(EPOCH));
    expect(!settled.reload && settled.frames.map((f) => [f.toSeq, f.groups.map((g) => g.seriesId)])).toEqual([
      [11, [0]],
      [12, [0, 1]],
    ]);
  });

  it("passes points of series the history does not hold, e.g. one created while it loaded", () => {
    const seam = new HistorySeam();
    seam.begin();
    seam.live(frame(9, 9, [0, 3]));
    const settled = seam.settle([covering(10, [0])], live(EPOCH));
    expect(!settled.reload && settled.frames.map((f) => f.groups.map((g) => g.seriesId))).toEqual([[3]]);
  });

  it("cuts each series at the position of its own shard", () => {
    const seam = new HistorySeam();
    seam.begin();
    seam.live(frame(5, 5, [0], EPOCH, 0));
    seam.live(frame(3, 3, [65_536], 11, 1));
    seam.live(frame(4, 4, [65_536], 11, 1));
    const answer = {
      positions: [
        { sid: 0, epoch: EPOCH, seq: 5 },
        { sid: 1, epoch: 11, seq: 3 },
      ],
      seriesIds: [0, 65_536],
    };
    const settled = seam.settle([answer], null);
    expect(!settled.reload && settled.frames.map((f) => [f.sid, f.toSeq])).toEqual([[1, 4]]);
  });

  it("asks for a reload when the history's epoch is not the live connection's", () => {
    const seam = new HistorySeam();
    seam.begin();
    expect(seam.settle([covering(10, [0])], live(EPOCH + 1))).toEqual({ reload: true });
  });

  it("asks for a reload when the answers disagree on the epoch (the board was reset between them)", () => {
    const seam = new HistorySeam();
    seam.begin();
    const answers = [covering(10, [0]), covering(1, [1], EPOCH + 1)];
    expect(seam.settle(answers, null)).toEqual({ reload: true });
  });

  it("asks for a reload when a live frame comes from another epoch than the history", () => {
    const seam = new HistorySeam();
    seam.begin();
    seam.settle([covering(10, [0])], null);
    expect(seam.live(frame(1, 1, [0], EPOCH + 1))).toBe("reload");
  });

  it("lets everything pass once cleared (after a reset), and starts over on the next request", () => {
    const seam = new HistorySeam();
    seam.begin();
    seam.settle([covering(10, [0])], live(EPOCH));
    seam.clear();
    expect(seam.live(frame(1, 1, [0], EPOCH + 1))).toEqual(frame(1, 1, [0], EPOCH + 1));
    seam.begin();
    seam.live(frame(2, 2, [0], EPOCH + 1));
    const settled = seam.settle([covering(1, [0], EPOCH + 1)], live(EPOCH + 1));
    expect(!settled.reload && seqs(settled.frames)).toEqual([[2, 2]]);
  });

  it("shows held frames as they are when no answer covers any series (an empty board)", () => {
    const seam = new HistorySeam();
    seam.begin();
    seam.live(frame(1, 1));
    const settled = seam.settle([], live(EPOCH));
    expect(!settled.reload && seqs(settled.frames)).toEqual([[1, 1]]);
  });
});
