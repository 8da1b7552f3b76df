import { describe, expect, it } from "vitest";
import { deviceShard } from "../../../worker/board/shards.ts";
import { answer, connect, freshBoard, ingest, request, token, type Viewer } from "../helpers.ts";

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

describe("live PromQL on a board of 4 shards, with sockets on the hub and on a relay", () => {
  it("streams the same steps to every socket, equal to query_range's", async () => {
    const board = freshBoard();
    const devices = Array.from({ length: 8 }, (_, i) => `dev-${i}`);
    const viewer = await token("viewer", board);
    // Two sockets fill the hub (VIEWERS_PER_OBJECT is 2 here); the third is placed on a relay.
    const sockets: Viewer[] = [];
    for (let i = 0; i < 3; i++) sockets.push(await connect(board, viewer, "?series=none:none"));
    const expr = "sum by (rack) (load)";
    for (const socket of sockets)
      socket.socket.send(JSON.stringify({ type: "query", id: "q", expr, step: 1000 }));
    const held = sockets.map(() => new Map<string, string>());
    const lastStep = sockets.map(() => 0);
    const take = async (i: number) => {
      for (;;) {
        const item = await sockets[i]!.next(3000);
        if (item.kind !== "message" || item.message.type !== "result") continue;
        const message = item.message;
        lastStep[i] = Math.max(lastStep[i]!, message.end);
        for (const series of message.result)
          for (const [t, value] of series.values) held[i]!.set(`${series.metric.rack}@${t}`, value);
        return message;
      }
    };
    const histories = await Promise.all(sockets.map((_, i) => take(i)));
    expect(histories.map((h) => h.kind)).toEqual(["history", "history", "history"]);
    // The hub evaluates for its two sockets; the relay runs its own evaluation for the third.
    const stats = await answer(
      request(`/api/v1/boards/${board}/stats`, { headers: { authorization: `Bearer ${viewer}` } }),
    );
    expect(stats.body.liveQueries).toEqual({ evaluations: 1, subscriptions: 2 });
    for (let round = 0; round < 12; round++) {
      const ts = Date.now();
      await Promise.all(
        devices.map(async (device, i) =>
          ingest(await token("device", board, device), {
            points: [{ metric: "load", value: round * 10 + i, ts, labels: { rack: `r${i % 2}` } }],
          }),
        ),
      );
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    const until = Math.floor(Date.now() / 1000) + 1;
    await Promise.all(
      sockets.map(async (_, i) => {
        while (lastStep[i]! < until) await take(i);
      }),
    );
    const end = Math.min(...lastStep);
    const start = Math.max(...histories.map((h) => h.start));
    const keep = (m: Map<string, string>) =>
      Object.fromEntries(
        [...m].filter(([key]) => {
          const t = Number(key.split("@")[1]);
          return t >= start && t <= end;
        }),
      );
    const params = new URLSearchParams({ query: expr, start: String(start), end: String(end), step: "1" });
    const { body } = await answer(
      request(`/api/v1/boards/${board}/prometheus/api/v1/query_range?${params}`, {
        headers: { authorization: `Bearer ${viewer}` },
      }),
    );
    const settled = new Map<string, string>();
    for (const series of body.data.result as Array<{
      metric: { rack: string };
      values: Array<[number, string]>;
    }>)
      for (const [t, value] of series.values) settled.set(`${series.metric.rack}@${t}`, value);
    expect(settled.size).toBeGreaterThan(4);
    for (const m of held) expect(keep(m)).toEqual(Object.fromEntries(settled));
    for (const socket of sockets) socket.close();
    await sockets[0]!.quiet(300); // the relay reports its sockets gone before the test ends
  });
});
