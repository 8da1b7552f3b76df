import { describe, expect, it } from "vitest";
import { connect, freshBoard, ingest, token, type Viewer } from "../helpers.ts";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The live query answers a socket has received so far. */
function answers(viewer: Viewer) {
  return viewer.received.flatMap((item) =>
    item.kind === "message" && (item.message.type === "result" || item.message.type === "query_error")
      ? [item.message]
      : [],
  );
}

describe("live PromQL flow control (2000 unacknowledged bytes)", () => {
  it("closes a socket that never acks its results with 1013, and spares the one that acks them", async () => {
    const board = freshBoard();
    const device = await token("device", board, "d");
    // Ten series: each step's result is about 600 bytes, so three unacknowledged steps pass the budget.
    const points = Array.from({ length: 10 }, (_, i) => ({ metric: `m${i}`, value: i }));
    expect((await ingest(device, { points })).status).toBe(202);
    const viewerToken = await token("viewer", board);
    const [silent, framesOnly, acking] = [
      await connect(board, viewerToken, "?series=none:none"),
      await connect(board, viewerToken, "?series=none:none"),
      await connect(board, viewerToken, "?series=none:none"),
    ];
    try {
      const query = {
        type: "query",
        id: "m",
        expr: '{__name__=~"m[0-9]"}',
        step: 1000,
        start: Math.floor(Date.now() / 1000) - 1,
      };
      for (const viewer of [silent, framesOnly, acking]) viewer.socket.send(JSON.stringify(query));
      let acked = 0;
      const deadline = Date.now() + 8000;
      while ((silent.closed === null || framesOnly.closed === null) && Date.now() < deadline) {
        const got = answers(acking).length;
        if (got > acked) {
          acked = got;
          acking.socket.send(JSON.stringify({ type: "ack", frames: 0, results: acked }));
        }
        // An ack as a client that predates `results` sends it: it says nothing of results.
        framesOnly.socket.send(JSON.stringify({ type: "ack", frames: 0 }));
        await sleep(50);
      }
      expect(silent.closed).toMatchObject({ code: 1013 });
      expect(framesOnly.closed).toMatchObject({ code: 1013 });
      // What each received before it was cut off: its history and some steps, within the budget.
      for (const cut of [silent, framesOnly]) {
        const received = answers(cut);
        expect(received.length).toBeGreaterThan(1);
        expect(received[0]).toMatchObject({ kind: "history" });
        expect(received.reduce((sum, m) => sum + JSON.stringify(m).length, 0)).toBeLessThanOrEqual(2000);
      }
      // The acking socket goes on: more steps than the others got, each of them over 600 bytes.
      await sleep(1500);
      expect(acking.closed).toBeNull();
      const kept = answers(acking);
      expect(kept.length).toBeGreaterThan(Math.max(answers(silent).length, answers(framesOnly).length));
      const step = kept.at(-1)!;
      expect(step).toMatchObject({ kind: "steps" });
      expect(JSON.stringify(step).length).toBeGreaterThan(600);
    } finally {
      for (const viewer of [silent, framesOnly, acking]) viewer.close();
    }
  }, 15_000);
});
