import { describe, expect, it } from "vitest";
import { deviceShard } from "../../../worker/board/shards.ts";
import { answer, freshBoard, ingest, request, token } from "../helpers.ts";

describe("the Prometheus API on a board of 4 shards", () => {
  it("aggregates series from every shard and lists them all", async () => {
    const board = freshBoard();
    const devices = Array.from({ length: 12 }, (_, i) => `dev-${i}`);
    const now = Date.now();
    for (const [i, device] of devices.entries()) {
      const points = [{ metric: "load", value: i, ts: now - 1000, labels: { rack: `r${i % 3}` } }];
      expect((await ingest(await token("device", board, device), { points })).status).toBe(202);
    }
    expect(new Set(devices.map((device) => deviceShard(device, 4))).size).toBeGreaterThan(1);
    const viewer = await token("viewer", board);
    const get = (path: string) =>
      answer(
        request(`/api/v1/boards/${board}/prometheus/api/v1/${path}`, {
          headers: { authorization: `Bearer ${viewer}` },
        }),
      );
    const query = encodeURIComponent("sum by (rack) (load)");
    const { body } = await get(`query?query=${query}&time=${now / 1000}`);
    expect(
      body.data.result
        .map((r: { metric: { rack: string }; value: [number, string] }) => [r.metric.rack, r.value[1]])
        .sort(),
    ).toEqual([
      ["r0", String(0 + 3 + 6 + 9)],
      ["r1", String(1 + 4 + 7 + 10)],
      ["r2", String(2 + 5 + 8 + 11)],
    ]);
    const values = await get("label/instance/values");
    expect(values.body.data).toEqual([...devices].sort());
  });
});
