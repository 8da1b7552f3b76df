import { describe, expect, it } from "vitest";
import { decodeFrame, formatPosition, fromBase64, type PollAnswer } from "../../worker/protocol/index.ts";
import { answer, connect, EventReader, framePoints, freshBoard, ingest, request, token } from "./helpers.ts";

async function openEvents(
  board: string,
  headers: Record<string, string> = {},
  query = "",
): Promise<EventReader> {
  const response = await request(`/api/v1/boards/${board}/events${query}`, {
    headers: { authorization: `Bearer ${await token("viewer", board)}`, ...headers },
  });
  expect(response.status).toBe(200);
  expect(response.headers.get("content-type")).toContain("text/event-stream");
  return new EventReader(response);
}

async function poll(board: string, query: string): Promise<PollAnswer> {
  const result = await answer(
    request(`/api/v1/boards/${board}/poll${query}`, {
      headers: { authorization: `Bearer ${await token("viewer", board)}` },
    }),
  );
  expect(result.status).toBe(200);
  return result.body as PollAnswer;
}

describe("Server-Sent Events", () => {
  it("greets, streams frames with position ids, and resumes from Last-Event-ID", async () => {
    const board = freshBoard();
    const device = await token("device", board, "d");
    const events = await openEvents(board);
    const hello = await events.message();
    expect(hello).toMatchObject({ type: "hello", positions: [{ sid: 0, seq: 0 }], resumed: false });
    expect(await events.message()).toMatchObject({ type: "snapshot", series: [] });
    await ingest(device, { metrics: { m: 1 } });
    expect(await events.message()).toMatchObject({ type: "series" });
    const first = await events.frame();
    expect(first.id).toBe(`0.${first.frame.epoch}.1`);
    await events.close();

    await ingest(device, { metrics: { m: 2 } });
    await ingest(device, { metrics: { m: 3 } });
    const resumed = await openEvents(board, { "last-event-id": first.id! });
    expect(await resumed.message()).toMatchObject({ type: "hello", resumed: true, positions: [{ seq: 3 }] });
    expect(await resumed.message()).toMatchObject({ type: "series" });
    const replay = await resumed.frame();
    expect(replay.id).toBe(`0.${first.frame.epoch}.3`);
    expect(framePoints(replay.frame).map(([, , v]) => v)).toEqual([2, 3]);
    await resumed.close();
  });

  it("accepts a ticket in the query, since EventSource cannot send headers", async () => {
    const board = freshBoard();
    const minted = await answer(
      request(`/api/v1/boards/${board}/tickets`, {
        method: "POST",
        headers: { authorization: `Bearer ${await token("viewer", board)}` },
      }),
    );
    const response = await request(`/api/v1/boards/${board}/events?ticket=${minted.body.ticket}`);
    expect(response.status).toBe(200);
    await response.body?.cancel();
  });

  it("answers 401 without a credential", async () => {
    const result = await answer(request(`/api/v1/boards/${freshBoard()}/events`));
    expect(result.status).toBe(401);
  });
});

describe("long polling", () => {
  it("answers a first poll with a snapshot and the position to poll after", async () => {
    const board = freshBoard();
    await ingest(await token("device", board, "d"), { metrics: { m: 1 } });
    const first = await poll(board, "");
    expect(first.positions).toEqual([{ sid: 0, epoch: expect.any(Number), seq: 1 }]);
    expect(first.messages).toMatchObject([{ type: "snapshot", series: [{ device: "d", metric: "m" }] }]);
    expect(first.frames).toEqual([]);
  });

  it("returns at once when data is waiting, and waits for the next batch otherwise", async () => {
    const board = freshBoard();
    const device = await token("device", board, "d");
    const { positions } = await poll(board, "");
    await ingest(device, { metrics: { m: 1 } });
    const ready = await poll(board, `?pos=${formatPosition(positions)}`);
    expect(ready.positions[0]!.seq).toBe(1);
    expect(framePoints(decodeFrame(fromBase64(ready.frames[0]!))).map(([, , v]) => v)).toEqual([1]);

    const waiting = poll(board, `?pos=${formatPosition(ready.positions)}&wait=5000`);
    await new Promise((resolve) => setTimeout(resolve, 50));
    await ingest(device, { metrics: { m: 2 } });
    const woken = await waiting;
    expect(woken.positions[0]!.seq).toBe(2);
    expect(woken.frames.map((f) => framePoints(decodeFrame(fromBase64(f)))[0]![2])).toEqual([2]);
  });

  it("answers an empty poll when the wait runs out", async () => {
    const board = freshBoard();
    const { positions } = await poll(board, "");
    const idle = await poll(board, `?pos=${formatPosition(positions)}&wait=50`);
    expect(idle).toMatchObject({ positions, frames: [] });
  });

  it("answers reset and a snapshot to an unknown epoch", async () => {
    const board = freshBoard();
    await ingest(await token("device", board, "d"), { metrics: { m: 1 } });
    const stale = await poll(board, "?pos=0.1.0");
    expect(stale.messages.map((m) => m.type)).toEqual(["reset", "snapshot"]);
  });
});

describe("exactly-once delivery across reconnects", () => {
  it("delivers every point once and in order while a viewer keeps dropping and resuming", async () => {
    const board = freshBoard();
    const device = await token("device", board, "d");
    const viewerToken = await token("viewer", board);
    const received: number[] = [];
    let position = "";
    let seq = 0;
    let next = 0;
    for (let round = 0; round < 6; round++) {
      const viewer = await connect(board, viewerToken, position);
      const hello = await viewer.nextMessage("hello");
      // Points posted while the viewer was away arrive as replay, then live ones follow.
      for (let i = 0; i < 3; i++) await ingest(device, { metrics: { m: next++ } });
      while (seq < hello.positions[0]!.seq + 3) {
        const item = await viewer.next();
        if (item.kind === "frame") {
          expect(item.frame.fromSeq).toBe(seq + 1);
          seq = item.frame.toSeq;
          received.push(...framePoints(item.frame).map(([, , v]) => v));
        }
      }
      viewer.close();
      for (let i = 0; i < 2; i++) await ingest(device, { metrics: { m: next++ } });
      position = `?pos=${formatPosition([{ sid: 0, epoch: hello.positions[0]!.epoch, seq }])}`;
    }
    const last = await connect(board, viewerToken, position);
    await last.nextMessage("hello");
    await last.nextMessage("series");
    received.push(...framePoints(await last.nextFrame()).map(([, , v]) => v));
    last.close();
    expect(received).toEqual(Array.from({ length: next }, (_, i) => i));
  });
});
