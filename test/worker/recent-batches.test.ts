import { describe, expect, it } from "vitest";
import { remoteWriteBody } from "../../scripts/remote-write-body.ts";
import { encodeBatch } from "../../worker/shard/batch-codec.ts";
import { RecentBatches } from "../../worker/shard/recent-batches.ts";
import { answer, evictBoard, freshBoard, postRemoteWrite, shardStub, token } from "./helpers.ts";

/** A one-point batch at `ts`, received at `receivedAt`, as the log appends it. */
function row(seq: number, receivedAt: number, ts: number) {
  const blob = encodeBatch({
    seriesIds: Uint32Array.of(1),
    ts: Float64Array.of(ts),
    values: Float64Array.of(seq),
  });
  return { seq, receivedAt, minTs: ts, maxTs: ts, blob: blob.buffer as ArrayBuffer };
}

const seqs = (recent: RecentBatches, fromSeq: number, fromTs = 0, toTs = Number.POSITIVE_INFINITY) =>
  [...recent.overlapping(fromSeq, fromTs, toTs)].map((logged) => [logged.seq, logged.batch.values[0]]);

describe("the log's newest rows held in memory", () => {
  it("answer in seq order by time and receipt, forget what the log deleted or a batch took over, and keep to their budget", () => {
    const bytes = row(1, 0, 0).blob.byteLength;
    const recent = new RecentBatches(10, 4 * bytes);
    for (let seq = 11; seq <= 14; seq++) recent.add(row(seq, seq * 100, seq * 1000));
    expect(seqs(recent, 12)).toEqual([
      [12, 12],
      [13, 13],
      [14, 14],
    ]);
    expect(seqs(recent, 0, 12_500, 14_000)).toEqual([[13, 13]]);
    // Received at 1,250: the first row received since is 13; after the newest, the next seq to come.
    expect(recent.firstReceivedSince(1_250, 15, false)).toBe(13);
    expect(recent.firstReceivedSince(9_999, 15, false)).toBe(15);
    // The oldest held was received at 1,100: an earlier row, if the log has one, is only in SQLite.
    expect(recent.firstReceivedSince(1_100, 15, false)).toBeUndefined();
    expect(recent.firstReceivedSince(1_100, 15, true)).toBe(11);
    expect(recent.coveredAfter).toBe(10);

    recent.drop(11);
    expect(seqs(recent, 0).map(([seq]) => seq)).toEqual([12, 13, 14]);
    // Over budget, the oldest go first, and rows up to theirs are no longer known to be all here.
    recent.add(row(15, 1_500, 15_000));
    recent.add(row(16, 1_600, 16_000));
    expect(seqs(recent, 0).map(([seq]) => seq)).toEqual([13, 14, 15, 16]);
    expect(recent.coveredAfter).toBe(12);
  });

  it("spare a shard's raw-window selection every SQLite row, and answer alike once they are gone after a wake", async () => {
    const board = freshBoard();
    const gateway = await token("gateway", board, "prometheus");
    const t0 = Date.now() - 60_000;
    for (let s = 0; s < 30; s++) {
      const series = Array.from({ length: 20 }, (_, n) => ({
        labels: { __name__: "m", instance: "host", n: String(n) },
        samples: [[n * 100 + s, t0 + s * 1000]] as Array<[number, number]>,
      }));
      expect((await answer(postRemoteWrite(gateway, remoteWriteBody(series)))).status).toBe(204);
    }
    const select = async () => {
      const answered = await shardStub(board).promqlSelect({
        matchers: [
          { name: "__name__", type: "=", value: "m" },
          { name: "n", type: "=~", value: "3|17" },
        ],
        hints: { start: t0 - 1000, end: t0 + 30_000, step: 0, range: 0 },
        now: Date.now(),
        maxSeries: 100,
        maxSamples: 100_000,
      });
      if ("exceeded" in answered) throw new Error(`exceeded ${answered.exceeded}`);
      const series = answered.series.map((s) => [s.labels.n, [...s.timestamps], [...s.values]]);
      return { series, rowsRead: answered.rowsRead };
    };
    const held = await select();
    const expected = (n: number) => Array.from({ length: 30 }, (_, s) => n * 100 + s);
    expect(held.series.map(([n, , values]) => [n, values])).toEqual([
      ["3", expected(3)],
      ["17", expected(17)],
    ]);
    expect(held.rowsRead).toBe(0);
    await evictBoard(board);
    const stored = await select();
    expect(stored.series).toEqual(held.series);
    expect(stored.rowsRead).toBeGreaterThanOrEqual(30);
  });
});
