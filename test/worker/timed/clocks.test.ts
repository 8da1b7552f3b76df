import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { ShardObject } from "../../../worker/shard/shard-object.ts";
import {
  answer,
  connect,
  framePoints,
  freshBoard,
  ingest,
  request,
  shardStub,
  token,
  watching,
} from "../helpers.ts";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function eventually(check: () => boolean, timeoutMs = 2000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await sleep(20);
  }
}

describe("coalescing (tick 50 ms)", () => {
  it("coalesces a burst of posts into fewer frames than posts, in order", async () => {
    const board = freshBoard();
    await watching(board, async (viewer) => {
      const device = await token("device", board, "d");
      await Promise.all([1, 2, 3, 4, 5].map((value) => ingest(device, { metrics: { m: value } })));
      await viewer.nextMessage("series");
      const frames = [await viewer.nextFrame()];
      while (frames.at(-1)!.toSeq < 5) frames.push(await viewer.nextFrame());
      expect(frames[0]).toMatchObject({ fromSeq: 1 });
      // Five concurrent posts: fewer frames than posts, however the scheduler spreads them (exact timing: live-tick).
      expect(frames.length).toBeLessThan(5);
      expect(
        frames
          .flatMap(framePoints)
          .map(([, , v]) => v)
          .sort(),
      ).toEqual([1, 2, 3, 4, 5]);
      expect(await viewer.quiet(150)).toBe(true);
    });
  });
});

describe("presence (timeout 300 ms)", () => {
  it("pushes online on the first post and offline from the alarm after the timeout", async () => {
    const board = freshBoard();
    await watching(board, async (viewer) => {
      await ingest(await token("device", board, "sensor-1"), { metrics: { m: 1 } });
      await viewer.nextMessage("series");
      await viewer.nextFrame();
      expect(viewer.presence.flatMap((p) => p.devices)).toContainEqual(
        expect.objectContaining({ device: "sensor-1", online: true }),
      );
      // The alarm is due 300 ms after the post; it may already have fired on its own, or we run it now.
      await sleep(350);
      await runDurableObjectAlarm(shardStub(board));
      await eventually(() => viewer.presence.at(-1)?.devices[0]?.online === false);
      expect(viewer.presence.at(-1)?.devices).toEqual([
        expect.objectContaining({ device: "sensor-1", online: false }),
      ]);
    });
  });

  it("pushes the viewer count when viewers come and go", async () => {
    const board = freshBoard();
    const viewerToken = await token("viewer", board);
    const first = await connect(board, viewerToken);
    try {
      await first.nextMessage("hello");
      const second = await connect(board, viewerToken);
      await second.nextMessage("hello");
      await sleep(100);
      expect(first.presence.at(-1)?.viewers).toBe(2);
      second.close();
      await sleep(100);
      const third = await connect(board, viewerToken);
      await third.nextMessage("hello");
      await sleep(100);
      expect(third.presence.at(-1)?.viewers).toBe(2);
      third.close();
    } finally {
      first.close();
    }
  });
});

describe("raw retention (window 400 ms)", () => {
  it("lets a new batch take over an expired log row: one row written per request", async () => {
    const board = freshBoard();
    const device = await token("device", board, "d");
    await ingest(device, { metrics: { m: 1 } });
    await sleep(450);
    const rowsBefore = await runInDurableObject(shardStub(board), async (instance: ShardObject) => {
      instance.checkpoint();
      return (await instance.stats()).counters.rowsWritten;
    });
    await ingest(device, { metrics: { m: 2 } });
    const after = await runInDurableObject(shardStub(board), async (instance: ShardObject, ctx) => ({
      written: (await instance.stats()).counters.rowsWritten - rowsBefore,
      log: ctx.storage.sql.exec<{ seq: number }>("SELECT seq FROM batches").toArray(),
    }));
    expect(after).toEqual({ written: 1, log: [{ seq: 2 }] });
  });

  it("lets an idle board go without a pending alarm once nothing is left to expire", async () => {
    const board = freshBoard();
    expect(await runDurableObjectAlarm(shardStub(board))).toBe(false);
  });
});

describe("history and live seam (tick 50 ms)", () => {
  it("answers history with the seq it includes, flushing pending live points first", async () => {
    const board = freshBoard();
    const viewerToken = await token("viewer", board);
    const viewer = await connect(board, viewerToken);
    try {
      await viewer.nextMessage("hello");
      await viewer.nextMessage("snapshot");
      const device = await token("device", board, "d");
      await ingest(device, { metrics: { m: 1 } });
      // Queried inside the tick: the pending batch must be either in the answer or after it, never both.
      const history = await answer(
        request(`/api/v1/boards/${board}/query?series=d:m&from=-1m&step=1s`, {
          headers: { authorization: `Bearer ${viewerToken}` },
        }),
      );
      const [position] = history.body.positions;
      expect(position.seq).toBe(1);
      expect(history.body.series[0].count).toEqual([1]);
      await viewer.nextMessage("series");
      expect((await viewer.nextFrame()).toSeq).toBeLessThanOrEqual(position.seq);
      await ingest(device, { metrics: { m: 2 } });
      expect(await viewer.nextFrame()).toMatchObject({ fromSeq: 2, toSeq: 2 });
    } finally {
      viewer.close();
    }
  });
});

describe("flow control (2000 unacknowledged bytes)", () => {
  it("closes a viewer that acks but falls behind with 1013, and spares the one that keeps up", async () => {
    const board = freshBoard();
    const viewerToken = await token("viewer", board);
    const lagging = await connect(board, viewerToken);
    const keeping = await connect(board, viewerToken);
    try {
      for (const viewer of [lagging, keeping]) {
        await viewer.nextMessage("hello");
        await viewer.nextMessage("snapshot");
        viewer.socket.send(JSON.stringify({ type: "ack", frames: 0 }));
      }
      const device = await token("device", board, "d");
      // About 800 frame bytes a round: the lagging viewer passes 2000 unacknowledged bytes in its third round.
      const points = Array.from({ length: 200 }, (_, i) => ({ metric: `m${i % 4}`, value: i }));
      for (let round = 0; round < 6 && !lagging.closed; round++) {
        await ingest(device, { points });
        await eventually(() =>
          keeping.received.some((r) => r.kind === "frame" && r.frame.toSeq === round + 1),
        );
        keeping.socket.send(JSON.stringify({ type: "ack", frames: round + 1 }));
        await sleep(60);
      }
      await eventually(() => lagging.closed !== null);
      expect(lagging.closed).toMatchObject({ code: 1013 });
      expect(keeping.closed).toBeNull();
    } finally {
      lagging.close();
      keeping.close();
    }
  });
});

describe("device rate limit (5 requests per 10 s)", () => {
  it("answers the sixth post within the window with 429 and Retry-After, and stores nothing for it", async () => {
    const board = freshBoard();
    const device = await token("device", board, "chatty");
    for (let i = 0; i < 5; i++) expect((await ingest(device, { metrics: { m: i } })).status).toBe(202);
    const refused = await ingest(device, { metrics: { m: 5 } });
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get("retry-after"))).toBeGreaterThan(0);
    expect((await answer(refused)).body.error.code).toBe("rate_limited");
    const other = await token("device", board, "quiet");
    expect((await ingest(other, { metrics: { m: 1 } })).status).toBe(202);
    const seqs = await runInDurableObject(
      shardStub(board),
      (_instance, state) =>
        state.storage.sql.exec<{ n: number }>("SELECT count(*) AS n FROM batches").one().n,
    );
    expect(seqs).toBe(6);
    // Later posts inside the Retry-After are refused by the Worker itself: the shard counts only the first.
    const again = await ingest(device, { metrics: { m: 6 } });
    expect(again.status).toBe(429);
    expect(Number(again.headers.get("retry-after"))).toBeGreaterThan(0);
    const stats = await answer(
      request(`/api/v1/boards/${board}/stats`, {
        headers: { authorization: `Bearer ${await token("viewer", board)}` },
      }),
    );
    expect(stats.body.ingest.rejected.rate_limited).toBe(1);
  });
});

describe("presence traffic", () => {
  it("sends presence only when something changed, not with every frame", async () => {
    const board = freshBoard();
    await watching(board, async (viewer) => {
      const device = await token("device", board, "d");
      for (let i = 0; i < 4; i++) {
        await ingest(device, { metrics: { m: i } });
        await sleep(60);
      }
      await eventually(() => viewer.received.filter((r) => r.kind === "frame").length === 4);
      const online = viewer.presence.filter((p) => p.devices.length > 0);
      expect(online.map((p) => p.devices)).toEqual([
        [expect.objectContaining({ device: "d", online: true })],
      ]);
      // One more for the viewer count when the socket joined; none per frame.
      expect(viewer.presence.length).toBeLessThanOrEqual(3);
    });
  });
});
