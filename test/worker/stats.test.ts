import { evictDurableObject, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { BoardStats } from "../../worker/protocol/index.ts";
import { MAX_SERIES_PER_SHARD } from "../../worker/shard/series-catalog.ts";
import type { ShardObject } from "../../worker/shard/shard-object.ts";
import { answer, connect, freshBoard, ingest, request, shardStub, token } from "./helpers.ts";

async function stats(board: string): Promise<{ status: number; body: BoardStats }> {
  const viewer = await token("viewer", board);
  return answer(request(`/api/v1/boards/${board}/stats`, { headers: { authorization: `Bearer ${viewer}` } }));
}

/** Waits for work the Worker hands to the board off the answer's path (`waitUntil`). */
async function eventually<T>(read: () => Promise<T>, done: (value: T) => boolean): Promise<T> {
  const deadline = Date.now() + 2000;
  for (;;) {
    const value = await read();
    if (done(value) || Date.now() > deadline) return value;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe("GET /api/v1/boards/:board/stats", () => {
  it("answers every documented field for a new board", async () => {
    const board = freshBoard();
    const before = Date.now();
    const { status, body } = await stats(board);
    expect(status).toBe(200);
    expect(body).toEqual({
      board,
      createdAt: expect.any(Number),
      positions: [{ sid: 0, epoch: expect.any(Number), seq: 0 }],
      shards: { current: 1, total: 1 },
      rowsWritten: expect.any(Number),
      rowsRead: expect.any(Number),
      alarmsSet: 0,
      databaseBytes: expect.any(Number),
      series: { count: 0, limit: MAX_SERIES_PER_SHARD },
      devices: { count: 0, online: 0 },
      viewers: { websocket: 0, sse: 0, poll: 0 },
      liveQueries: { evaluations: 0, subscriptions: 0 },
      ingest: { requests: 0, points: 0, rejected: {} },
      wakes: 1,
      checkpoints: 1,
      oldest: { raw: null, "1s": null, "1m": null, "1h": null },
    });
    expect(body.createdAt).toBeGreaterThanOrEqual(before - 1000);
    expect(body.databaseBytes).toBeGreaterThan(0);
  });

  it("refuses a device token and a viewer of another board", async () => {
    const board = freshBoard();
    const asDevice = await answer(
      request(`/api/v1/boards/${board}/stats`, {
        headers: { authorization: `Bearer ${await token("device", board, "d")}` },
      }),
    );
    expect(asDevice.status).toBe(403);
    const other = await answer(
      request(`/api/v1/boards/${board}/stats`, {
        headers: { authorization: `Bearer ${await token("viewer", freshBoard())}` },
      }),
    );
    expect(other.status).toBe(403);
  });

  it("counts one log row per request, two rows per new series, and refusals by reason", async () => {
    const board = freshBoard();
    const device = await token("device", board, "sensor-1");
    const start = (await stats(board)).body;
    const now = Date.now();
    await ingest(device, {
      points: [
        { metric: "a", value: 1, ts: now - 2000 },
        { metric: "b", value: 2 },
      ],
    });
    await ingest(device, { metrics: { a: 3, b: 4 } });
    await ingest(device, { metrics: { a: 5 } });
    expect((await ingest(device, { metrics: { a: "high" } })).status).toBe(400);
    expect((await ingest(device, "{")).status).toBe(400);
    const { body } = await eventually(
      () => stats(board),
      ({ body }) => body.ingest.rejected.invalid_json === 1,
    );
    expect(body.ingest).toEqual({ requests: 3, points: 5, rejected: { invalid_value: 1, invalid_json: 1 } });
    expect(body.rowsWritten - start.rowsWritten).toBe(3 + 2 * 2);
    expect(body.positions).toEqual([{ sid: 0, epoch: expect.any(Number), seq: 3 }]);
    expect(body.series.count).toBe(2);
    expect(body.devices).toEqual({ count: 1, online: 1 });
    expect(body.alarmsSet).toBe(1);
    expect(body.oldest.raw).toBeGreaterThanOrEqual(now - 1000);
    for (const resolution of ["1s", "1m", "1h"] as const) {
      expect(body.oldest[resolution]).toBeLessThanOrEqual(now - 2000);
      expect(body.oldest[resolution]).toBeGreaterThan(now - 2000 - 3_600_000);
    }
  });

  it("writes a checkpoint as one row per rollup chunk touched plus the checkpoint row", async () => {
    const board = freshBoard();
    const metrics = Object.fromEntries(Array.from({ length: 200 }, (_, i) => [`m${i}`, i]));
    await ingest(await token("device", board, "d"), { metrics, ts: Date.now() - 1000 });
    const before = (await stats(board)).body.rowsWritten;
    await runInDurableObject(shardStub(board), (instance: ShardObject) => instance.checkpoint());
    // 200 series are two blocks of 128; one chunk each at 1 s, 1 min and 1 h.
    expect((await stats(board)).body.rowsWritten - before).toBe(2 * 3 + 1);
  });

  it("counts the rows a history query reads", async () => {
    const board = freshBoard();
    await ingest(await token("device", board, "d"), { metrics: { m: 1 } });
    const before = (await stats(board)).body.rowsRead;
    const viewer = await token("viewer", board);
    await request(`/api/v1/boards/${board}/query?series=d:m&from=-1h&step=1m`, {
      headers: { authorization: `Bearer ${viewer}` },
    });
    expect((await stats(board)).body.rowsRead).toBeGreaterThan(before);
  });

  it("keeps its counters across an eviction, adding the rows written since the last checkpoint", async () => {
    const board = freshBoard();
    const device = await token("device", board, "d");
    await ingest(device, { metrics: { m: 1, n: 2 } });
    await ingest(device, { metrics: { m: 3 } });
    const before = (await stats(board)).body;
    await evictDurableObject(shardStub(board));
    const after = (await stats(board)).body;
    expect(after.wakes).toBe(before.wakes + 1);
    // The wake itself wrote one row (its counter).
    expect(after.rowsWritten).toBe(before.rowsWritten + 1);
    expect(after.rowsRead).toBeGreaterThanOrEqual(before.rowsRead);
    expect(after.ingest).toEqual(before.ingest);

    await runInDurableObject(shardStub(board), (instance: ShardObject) => instance.checkpoint());
    const checkpointed = (await stats(board)).body;
    await evictDurableObject(shardStub(board));
    const again = (await stats(board)).body;
    expect(again.rowsWritten).toBe(checkpointed.rowsWritten + 1);
    expect(again.rowsRead).toBeGreaterThanOrEqual(checkpointed.rowsRead);
    expect(again.checkpoints).toBe(checkpointed.checkpoints);
    expect(again.alarmsSet).toBe(checkpointed.alarmsSet);
  });

  it("counts viewers by transport", async () => {
    const board = freshBoard();
    const viewer = await connect(board, await token("viewer", board));
    try {
      await viewer.nextMessage("hello");
      expect((await stats(board)).body.viewers).toEqual({ websocket: 1, sse: 0, poll: 0 });
    } finally {
      viewer.close();
    }
  });
});
