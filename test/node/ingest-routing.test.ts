import { describe, expect, it } from "vitest";
import { deviceShard } from "../../worker/board/shards.ts";
import type { PointColumns } from "../../worker/ingest/points.ts";
import { splitByShard } from "../../worker/ingest/routing.ts";

/** Two devices that a 4-shard layout puts on different shards. */
function devicesOnTwoShards(): [string, string] {
  const first = "host-0";
  for (let i = 1; ; i++) {
    const other = `host-${i}`;
    if (deviceShard(other, 4) !== deviceShard(first, 4)) return [first, other];
  }
}

describe("splitByShard", () => {
  it("keeps each part's staleness markers with its own points", () => {
    const [a, b] = devicesOnTwoShards();
    const points: PointColumns = {
      series: [
        { device: a, metric: "up", labels: "" },
        { device: b, metric: "up", labels: "" },
      ],
      seriesIndex: Uint16Array.from([0, 1, 0, 1]),
      ts: Float64Array.from([1, 2, 3, 4]),
      values: Float64Array.from([1, 1, Number.NaN, 5]),
      stale: Uint8Array.from([0, 0, 1, 0]),
    };
    const parts = splitByShard(points, 4);
    const ofA = parts.get(deviceShard(a, 4))!;
    const ofB = parts.get(deviceShard(b, 4))!;
    expect([...ofA.ts]).toEqual([1, 3]);
    expect([...ofA.stale!]).toEqual([0, 1]);
    expect([...ofB.ts]).toEqual([2, 4]);
    expect([...ofB.stale!]).toEqual([0, 0]);
  });

  it("adds no marker column to parts of a request without markers", () => {
    const [a, b] = devicesOnTwoShards();
    const parts = splitByShard(
      {
        series: [
          { device: a, metric: "m", labels: "" },
          { device: b, metric: "m", labels: "" },
        ],
        seriesIndex: Uint16Array.from([0, 1]),
        ts: Float64Array.from([1, 2]),
        values: Float64Array.from([1, 2]),
      },
      4,
    );
    for (const part of parts.values()) expect(part.stale).toBeUndefined();
  });
});
