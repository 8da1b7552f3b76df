import { evictDurableObject, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { UNCOMPRESSED } from "../../worker/http/handshake.ts";
import { formatPosition, SUBPROTOCOL } from "../../worker/protocol/index.ts";
import {
  answer,
  connect,
  evictBoard,
  framePoints,
  freshBoard,
  handshake,
  ingest,
  request,
  shardStub,
  token,
  type Viewer,
} from "./helpers.ts";

const livePath = (board: string) => `/api/v1/boards/${board}/live`;

/** An upgrade request with extra headers, answered as status and JSON body. */
function upgrade(board: string, headers: Record<string, string> = {}) {
  return answer(request(livePath(board), { headers: { ...handshake(), ...headers } }));
}

/** The subprotocols a browser offers, carrying `token`. */
const offering = (token: string) => ({ "sec-websocket-protocol": `${SUBPROTOCOL}, bearer.${token}` });

async function withViewers<T>(viewers: Viewer[], body: () => Promise<T>): Promise<T> {
  try {
    return await body();
  } finally {
    for (const viewer of viewers) viewer.close();
  }
}

describe("live upgrade checks", () => {
  it("answers 426 with Upgrade: websocket to a plain GET", async () => {
    const board = freshBoard();
    const response = await request(livePath(board), {
      headers: { authorization: `Bearer ${await token("viewer", board)}` },
    });
    expect(response.status).toBe(426);
    expect(response.headers.get("upgrade")).toBe("websocket");
    expect((await answer(response)).body.error.code).toBe("upgrade_required");
  });

  it("answers 405 to a POST", async () => {
    expect((await request(livePath(freshBoard()), { method: "POST" })).status).toBe(405);
  });

  it("answers 401 without a credential and with a forged one", async () => {
    const board = freshBoard();
    const none = await upgrade(board);
    expect(none.status).toBe(401);
    expect(none.body.error.code).toBe("missing_token");
    const forged = await upgrade(board, offering("ep1.e30.AAAA"));
    expect(forged.status).toBe(401);
    expect(forged.body.error.code).toBe("malformed_token");
  });

  it("answers 403 to a viewer token of another board and to a device token", async () => {
    const board = freshBoard();
    const otherBoard = await upgrade(board, offering(await token("viewer", freshBoard())));
    expect(otherBoard.status).toBe(403);
    expect(otherBoard.body.error.code).toBe("wrong_board");
    const device = await upgrade(board, offering(await token("device", board, "d")));
    expect(device.status).toBe(403);
    expect(device.body.error.code).toBe("wrong_token_kind");
  });

  it("answers 403 to a foreign Origin", async () => {
    const board = freshBoard();
    const result = await upgrade(board, {
      origin: "https://evil.example",
      ...offering(await token("viewer", board)),
    });
    expect(result.status).toBe(403);
    expect(result.body.error.code).toBe("origin_not_allowed");
  });

  it("answers 400 when subprotocols are offered without edgepulse.v1", async () => {
    const board = freshBoard();
    const result = await upgrade(board, {
      "sec-websocket-protocol": `bearer.${await token("viewer", board)}`,
    });
    expect(result.status).toBe(400);
    expect(result.body.error.code).toBe("unsupported_subprotocol");
  });

  it("selects the edgepulse.v2 subprotocol and accepts a short-lived ticket", async () => {
    const board = freshBoard();
    const viewer = await token("viewer", board);
    const ticket = await answer(
      request(`/api/v1/boards/${board}/tickets`, {
        method: "POST",
        headers: { authorization: `Bearer ${viewer}` },
      }),
    );
    expect(ticket.status).toBe(201);
    expect(ticket.body.expiresAt).toBeGreaterThan(Date.now());
    const response = await request(`${livePath(board)}?ticket=${ticket.body.ticket}`, {
      headers: { ...handshake(), "sec-websocket-protocol": SUBPROTOCOL },
    });
    expect(response.status).toBe(101);
    expect(response.headers.get("sec-websocket-protocol")).toBe(SUBPROTOCOL);
    response.webSocket?.accept();
    response.webSocket?.close(1000);
  });

  it("refuses a permessage-deflate offer on every upgrade, with a subprotocol or without", async () => {
    const board = freshBoard();
    const viewer = await token("viewer", board);
    const offer = {
      ...handshake(),
      "sec-websocket-extensions": "permessage-deflate; client_max_window_bits",
    };
    const answers = [
      await request(livePath(board), {
        headers: { ...offer, ...offering(viewer) },
      }),
      await request(livePath(board), { headers: { ...offer, authorization: `Bearer ${viewer}` } }),
    ];
    for (const response of answers) {
      expect(response.status).toBe(101);
      // workerd takes this header as the server's offer: naming no extension it supports, it agrees to none.
      expect(response.headers.get("sec-websocket-extensions")).toBe(UNCOMPRESSED["sec-websocket-extensions"]);
      response.webSocket?.accept();
      response.webSocket?.close(1000);
    }
  });

  it("answers 429 with Retry-After past 60 upgrades a minute from one address to one board", async () => {
    const board = freshBoard();
    const viewer = await token("viewer", board);
    const address = `203.0.113.${Math.floor(Math.random() * 250)}`;
    const upgrade = () =>
      request(livePath(board), {
        headers: {
          ...handshake(),
          "cf-connecting-ip": address,
          "sec-websocket-protocol": `${SUBPROTOCOL}, bearer.${viewer}`,
        },
      });
    for (let i = 0; i < 60; i++) {
      const response = await upgrade();
      expect(response.status).toBe(101);
      response.webSocket?.accept();
      response.webSocket?.close(1000);
    }
    // The limiter counts in fixed windows: if they crossed a window's end, the next window refuses the 61st.
    let limited = await upgrade();
    for (let i = 0; i < 60 && limited.status === 101; i++) {
      limited.webSocket?.accept();
      limited.webSocket?.close(1000);
      limited = await upgrade();
    }
    expect(limited.status).toBe(429);
    expect(limited.headers.get("retry-after")).toBe("10");
    expect((await answer(limited)).body.error.code).toBe("rate_limited");
  });

  it("refuses a ticket for minting tickets: only viewer tokens do that", async () => {
    const board = freshBoard();
    const ticket = await token("ticket", board, undefined, Math.floor(Date.now() / 1000) + 60);
    const result = await answer(
      request(`/api/v1/boards/${board}/tickets`, {
        method: "POST",
        headers: { authorization: `Bearer ${ticket}` },
      }),
    );
    expect(result.status).toBe(403);
  });
});

describe("live delivery", () => {
  it("greets a viewer with hello and a snapshot holding last values", async () => {
    const board = freshBoard();
    const device = await token("device", board, "sensor-1");
    await ingest(device, { metrics: { temp_c: 21.5 }, ts: Date.now() - 10 });
    const viewer = await connect(board, await token("viewer", board));
    await withViewers([viewer], async () => {
      const hello = await viewer.nextMessage("hello");
      expect(hello).toMatchObject({ v: 2, board, positions: [{ sid: 0, seq: 1 }], resumed: false });
      const snapshot = await viewer.nextMessage("snapshot");
      expect(snapshot.series).toEqual([
        { id: 0, device: "sensor-1", metric: "temp_c", last: { ts: expect.any(Number), value: 21.5 } },
      ]);
    });
  });

  it("broadcasts a batch to two viewers as one frame each", async () => {
    const board = freshBoard();
    const viewerToken = await token("viewer", board);
    const viewers = [await connect(board, viewerToken), await connect(board, viewerToken)];
    await withViewers(viewers, async () => {
      for (const viewer of viewers) {
        await viewer.nextMessage("hello");
        await viewer.nextMessage("snapshot");
      }
      const ts = Date.now();
      await ingest(await token("device", board, "sensor-1"), {
        points: [
          { metric: "temp_c", value: 21.5, ts },
          { metric: "temp_c", value: 21.75, ts: ts + 100 },
          { metric: "rh", value: 40, ts },
        ],
      });
      for (const viewer of viewers) {
        const named = await viewer.nextMessage("series");
        expect(named.series.map((s) => s.metric)).toEqual(["temp_c", "rh"]);
        const frame = await viewer.nextFrame();
        expect(frame).toMatchObject({ fromSeq: 1, toSeq: 1 });
        expect(framePoints(frame)).toEqual([
          [0, ts, 21.5],
          [0, ts + 100, 21.75],
          [1, ts, 40],
        ]);
        expect(await viewer.quiet()).toBe(true);
      }
    });
  });

  it("sends a viewer only the series it subscribed to", async () => {
    const board = freshBoard();
    const viewerToken = await token("viewer", board);
    const onlyTemp = await connect(board, viewerToken, "?series=*:temp_c");
    const onlyB = await connect(board, viewerToken, "?series=dev-b:*");
    await withViewers([onlyTemp, onlyB], async () => {
      for (const viewer of [onlyTemp, onlyB]) {
        await viewer.nextMessage("hello");
        await viewer.nextMessage("snapshot");
      }
      await ingest(await token("device", board, "dev-a"), { metrics: { temp_c: 1, rh: 2 } });
      await ingest(await token("device", board, "dev-b"), { metrics: { temp_c: 3, rh: 4 } });

      expect((await onlyTemp.nextMessage("series")).series).toMatchObject([
        { device: "dev-a", metric: "temp_c" },
      ]);
      expect(framePoints(await onlyTemp.nextFrame()).map(([, , v]) => v)).toEqual([1]);
      expect((await onlyTemp.nextMessage("series")).series).toMatchObject([
        { device: "dev-b", metric: "temp_c" },
      ]);
      expect(framePoints(await onlyTemp.nextFrame()).map(([, , v]) => v)).toEqual([3]);

      expect((await onlyB.nextMessage("series")).series.map((s) => s.metric)).toEqual(["temp_c", "rh"]);
      expect(framePoints(await onlyB.nextFrame()).map(([, , v]) => v)).toEqual([3, 4]);
      expect(await onlyB.quiet()).toBe(true);
    });
  });

  it("changes a subscription on request and answers with a fresh snapshot", async () => {
    const board = freshBoard();
    await ingest(await token("device", board, "dev-a"), { metrics: { temp_c: 1, rh: 2 } });
    const viewer = await connect(board, await token("viewer", board));
    await withViewers([viewer], async () => {
      await viewer.nextMessage("hello");
      expect((await viewer.nextMessage("snapshot")).series).toHaveLength(2);
      viewer.socket.send(JSON.stringify({ type: "subscribe", series: ["dev-a:rh"] }));
      expect((await viewer.nextMessage("snapshot")).series.map((s) => s.metric)).toEqual(["rh"]);
      await ingest(await token("device", board, "dev-a"), { metrics: { temp_c: 5, rh: 6 } });
      expect(framePoints(await viewer.nextFrame()).map(([, , v]) => v)).toEqual([6]);
    });
  });

  it("answers a malformed control message with an error and keeps the socket", async () => {
    const board = freshBoard();
    const viewer = await connect(board, await token("viewer", board));
    await withViewers([viewer], async () => {
      await viewer.nextMessage("hello");
      await viewer.nextMessage("snapshot");
      viewer.socket.send("{nope");
      expect(await viewer.nextMessage("error")).toMatchObject({ code: "bad_message" });
      viewer.socket.send(JSON.stringify({ type: "subscribe", series: ["no-colon"] }));
      expect(await viewer.nextMessage("error")).toMatchObject({ code: "bad_message" });
      await ingest(await token("device", board, "d"), { metrics: { m: 1 } });
      await viewer.nextMessage("series");
      expect(framePoints(await viewer.nextFrame())).toHaveLength(1);
    });
  });
});

/** A board with one batch, and the position a viewer saw there before it disconnected. */
async function viewerLeftAfterFirstBatch() {
  const board = freshBoard();
  const device = await token("device", board, "d");
  const viewerToken = await token("viewer", board);
  await ingest(device, { metrics: { m: 1 } });
  const first = await connect(board, viewerToken);
  const hello = await first.nextMessage("hello");
  first.close();
  return { board, device, viewerToken, hello };
}

describe("per-viewer pacing", () => {
  /** Posts `count` batches of one point each (after a first that creates the series). */
  async function postBatches(board: string, count: number): Promise<void> {
    const device = await token("device", board, "d");
    for (let i = 0; i < count; i++) await ingest(device, { metrics: { m: i } });
  }

  async function greeted(board: string, query = ""): Promise<Viewer> {
    const viewer = await connect(board, await token("viewer", board), query);
    await viewer.nextMessage("hello");
    await viewer.nextMessage("snapshot");
    return viewer;
  }

  it("sends a paced viewer coalesced frames at its rate while others get every batch", async () => {
    const board = freshBoard();
    await postBatches(board, 1);
    const fast = await greeted(board);
    const slow = await greeted(board, "?max_fps=0.5");
    await withViewers([fast, slow], async () => {
      await postBatches(board, 4);
      for (let seq = 2; seq <= 5; seq++)
        expect(await fast.nextFrame()).toMatchObject({ fromSeq: seq, toSeq: seq });
      // Its first frame goes at once; the three batches after it wait for the pace (2 s) and come as one frame.
      expect(await slow.nextFrame()).toMatchObject({ fromSeq: 2, toSeq: 2 });
      expect(await slow.quiet(500)).toBe(true);
      const coalesced = await slow.next(3000);
      if (coalesced.kind !== "frame") throw new Error("expected the held frame");
      expect(coalesced.frame).toMatchObject({ fromSeq: 3, toSeq: 5 });
      expect(framePoints(coalesced.frame).map(([, , value]) => value)).toEqual([1, 2, 3]);
    });
  });

  it("lets a viewer slow down (a hidden tab) and catch up at once, by seq, when it asks for every frame again", async () => {
    const board = freshBoard();
    await postBatches(board, 1);
    const viewer = await greeted(board);
    await withViewers([viewer], async () => {
      viewer.socket.send(JSON.stringify({ type: "pace", maxFps: 0.1 }));
      await postBatches(board, 3);
      expect(await viewer.nextFrame()).toMatchObject({ fromSeq: 2, toSeq: 2 });
      expect(await viewer.quiet(300)).toBe(true);
      viewer.socket.send(JSON.stringify({ type: "pace", maxFps: null }));
      expect(await viewer.nextFrame()).toMatchObject({ fromSeq: 3, toSeq: 4 });
      await postBatches(board, 1);
      expect(await viewer.nextFrame()).toMatchObject({ fromSeq: 5, toSeq: 5 });
    });
  });

  it("sends a paced viewer what its group held before the snapshot of a new subscription", async () => {
    const board = freshBoard();
    await postBatches(board, 1);
    const viewer = await greeted(board, "?max_fps=0.1");
    await withViewers([viewer], async () => {
      await postBatches(board, 2);
      expect(await viewer.nextFrame()).toMatchObject({ fromSeq: 2, toSeq: 2 });
      viewer.socket.send(JSON.stringify({ type: "subscribe", series: ["d:*"] }));
      expect(await viewer.nextFrame()).toMatchObject({ fromSeq: 3, toSeq: 3 });
      expect((await viewer.nextMessage("snapshot")).positions[0]).toMatchObject({ seq: 3 });
    });
  });

  it("refuses paces out of range, in the URL and in messages", async () => {
    const board = freshBoard();
    const viewerToken = await token("viewer", board);
    for (const pace of ["0", "61", "fast", "1e1", "-1"]) {
      const refused = await answer(
        request(`${livePath(board)}?max_fps=${pace}`, {
          headers: { ...handshake(), ...offering(viewerToken) },
        }),
      );
      expect(refused.status, pace).toBe(400);
      expect(refused.body.error.path).toBe("max_fps");
    }
    const viewer = await greeted(board);
    await withViewers([viewer], async () => {
      viewer.socket.send(JSON.stringify({ type: "pace", maxFps: 1000 }));
      expect((await viewer.nextMessage("error")).code).toBe("bad_message");
    });
  });
});

describe("resume", () => {
  it("replays exactly the batches a client missed, in order", async () => {
    const { board, device, viewerToken, hello } = await viewerLeftAfterFirstBatch();
    for (let value = 2; value <= 5; value++) await ingest(device, { metrics: { m: value } });

    const again = await connect(board, viewerToken, `?pos=${formatPosition(hello.positions)}`);
    await withViewers([again], async () => {
      expect(await again.nextMessage("hello")).toMatchObject({ resumed: true, positions: [{ seq: 5 }] });
      expect((await again.nextMessage("series")).series).toMatchObject([{ device: "d", metric: "m" }]);
      const frame = await again.nextFrame();
      expect(frame).toMatchObject({ fromSeq: 2, toSeq: 5 });
      expect(framePoints(frame).map(([, , v]) => v)).toEqual([2, 3, 4, 5]);
      await ingest(device, { metrics: { m: 6 } });
      expect(await again.nextFrame()).toMatchObject({ fromSeq: 6, toSeq: 6 });
    });
  });

  it("answers reset and a snapshot when the epoch is unknown", async () => {
    const board = freshBoard();
    await ingest(await token("device", board, "d"), { metrics: { m: 1 } });
    const viewer = await connect(board, await token("viewer", board), "?pos=0.12345.1");
    await withViewers([viewer], async () => {
      expect(await viewer.nextMessage("hello")).toMatchObject({ resumed: false });
      expect(await viewer.nextMessage("reset")).toMatchObject({ positions: [{ sid: 0, seq: 1 }] });
      expect((await viewer.nextMessage("snapshot")).series).toHaveLength(1);
    });
  });

  it("answers reset when the missed batches were already deleted", async () => {
    const board = freshBoard();
    const device = await token("device", board, "d");
    await ingest(device, { metrics: { m: 1 } });
    await ingest(device, { metrics: { m: 2 } });
    const epoch = await runInDurableObject(shardStub(board), (instance, state) => {
      (instance as unknown as { checkpoint(): void }).checkpoint();
      state.storage.sql.exec("DELETE FROM batches WHERE seq = 1");
      return state.storage.sql.exec<{ value: number }>("SELECT value FROM meta WHERE key = 'epoch'").one()
        .value;
    });
    // Deleted behind the object's back: restart it so it sees its storage afresh.
    await evictDurableObject(shardStub(board));
    const viewer = await connect(board, await token("viewer", board), `?pos=0.${epoch}.0`);
    await withViewers([viewer], async () => {
      await viewer.nextMessage("hello");
      expect(await viewer.nextMessage("reset")).toMatchObject({ positions: [{ sid: 0, epoch, seq: 2 }] });
    });
  });
});

describe("hibernation", () => {
  it("keeps sockets open across eviction and delivers the next batch", async () => {
    const board = freshBoard();
    const viewerToken = await token("viewer", board);
    const device = await token("device", board, "d");
    await ingest(device, { metrics: { m: 1 } });
    const viewers = [await connect(board, viewerToken, "?series=d:m"), await connect(board, viewerToken)];
    await withViewers(viewers, async () => {
      for (const viewer of viewers) {
        await viewer.nextMessage("hello");
        await viewer.nextMessage("snapshot");
      }
      await evictBoard(board);
      await ingest(device, { metrics: { m: 2, other: 3 } });
      expect(framePoints(await viewers[0]!.nextFrame()).map(([, , v]) => v)).toEqual([2]);
      expect((await viewers[1]!.nextMessage("series")).series.map((s) => s.metric)).toEqual(["other"]);
      expect(framePoints(await viewers[1]!.nextFrame()).map(([, , v]) => v)).toEqual([2, 3]);
      for (const viewer of viewers) expect(viewer.closed).toBeNull();
    });
  });

  it("resumes a viewer from its position after the shard and hub were evicted", async () => {
    const { board, device, viewerToken, hello } = await viewerLeftAfterFirstBatch();
    await ingest(device, { metrics: { m: 2 } });
    await evictBoard(board);
    const again = await connect(board, viewerToken, `?pos=${formatPosition(hello.positions)}`);
    await withViewers([again], async () => {
      const { epoch } = hello.positions[0]!;
      expect(await again.nextMessage("hello")).toMatchObject({
        resumed: true,
        positions: [{ epoch, seq: 2 }],
      });
      await again.nextMessage("series");
      expect(framePoints(await again.nextFrame()).map(([, , v]) => v)).toEqual([2]);
    });
  });

  it("rebuilds latest values from the log after an eviction without a checkpoint", async () => {
    const board = freshBoard();
    const device = await token("device", board, "d");
    await ingest(device, { metrics: { m: 1 } });
    await ingest(device, { metrics: { m: 7 } });
    await evictDurableObject(shardStub(board));
    const viewer = await connect(board, await token("viewer", board));
    await withViewers([viewer], async () => {
      expect(await viewer.nextMessage("hello")).toMatchObject({ positions: [{ seq: 2 }] });
      expect((await viewer.nextMessage("snapshot")).series[0]?.last?.value).toBe(7);
    });
  });

  it("knows its board name after waking from hibernation", async () => {
    const board = freshBoard();
    const viewer = await connect(board, await token("viewer", board));
    await withViewers([viewer], async () => {
      await viewer.nextMessage("hello");
      await viewer.nextMessage("snapshot");
      await evictBoard(board);
      viewer.socket.send(JSON.stringify({ type: "subscribe", series: ["*"] }));
      expect(await viewer.nextMessage("snapshot")).toMatchObject({ positions: [{ seq: 0 }] });
      const second = await connect(board, await token("viewer", board));
      expect(await second.nextMessage("hello")).toMatchObject({ board });
      second.close();
    });
  });
});
