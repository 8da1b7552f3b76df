import { describe, expect, it } from "vitest";
import { mergeHistory } from "../../worker/hub/merge.ts";
import type { ShardHistory } from "../../worker/shard/shard-api.ts";

/** One shard's answer holding one bucket of `sensor-1:temp_c` at ts 0. */
function shard(sid: number, bucket: { avg: number; min: number; max: number; count: number; last: number }) {
  const part: ShardHistory = {
    position: { sid, epoch: 1, seq: 1 },
    from: 0,
    to: 60_000,
    step: 60_000,
    resolution: "1m",
    series: [
      {
        device: "sensor-1",
        metric: "temp_c",
        ts: [0],
        avg: [bucket.avg],
        min: [bucket.min],
        max: [bucket.max],
        count: [bucket.count],
        last: [bucket.last],
        lastTs: [sid * 1000],
      },
    ],
  };
  return part;
}

describe("a series' buckets from two shards (after the layout changed)", () => {
  it("adds counts and weighs averages; the later point is the last", () => {
    const merged = mergeHistory([
      shard(0, { avg: 2, min: 1, max: 3, count: 2, last: 3 }),
      shard(1, { avg: 5, min: 5, max: 5, count: 1, last: 5 }),
    ]);
    expect(merged).toMatchObject({ series: [{ count: [3], avg: [3], min: [1], max: [5], last: [5] }] });
  });

  it("keeps the other shard's extremes when one shard's bucket held only NaN, as min_over_time does", () => {
    const merged = mergeHistory([
      shard(0, { avg: Number.NaN, min: Number.NaN, max: Number.NaN, count: 1, last: Number.NaN }),
      shard(1, { avg: 4, min: -2, max: 4, count: 2, last: 4 }),
    ]);
    expect(merged).toMatchObject({ series: [{ min: [-2], max: [4], count: [3] }] });
    if ("error" in merged) throw new Error(merged.error);
    expect(merged.series[0]!.avg[0]).toBeNaN();
  });

  it("answers NaN extremes only when both shards' buckets held nothing else", () => {
    const nan = { avg: Number.NaN, min: Number.NaN, max: Number.NaN, count: 1, last: Number.NaN };
    const merged = mergeHistory([shard(0, nan), shard(1, nan)]);
    if ("error" in merged) throw new Error(merged.error);
    expect(merged.series[0]!.min[0]).toBeNaN();
    expect(merged.series[0]!.max[0]).toBeNaN();
  });
});
