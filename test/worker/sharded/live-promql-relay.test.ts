import { evictDurableObject, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import {
  ContiguousResults,
  connect,
  freshBoard,
  relayStub,
  stopLiveQueryClocks,
  token,
  type Viewer,
} from "../helpers.ts";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function subscriptionsOn(stub: DurableObjectStub): Promise<number> {
  return runInDurableObject(
    stub,
    (object: unknown) =>
      (object as { queries: { counts: { subscriptions: number } } }).queries.counts.subscriptions,
  );
}

describe("live PromQL on a relay (2 viewers per object)", () => {
  it("keeps a relay socket's subscription across an eviction of the relay: no gap, no repeat", async () => {
    const board = freshBoard();
    const viewer = await token("viewer", board);
    const sockets: Viewer[] = [];
    // Two fill the hub; the third is served by relay 0.
    for (let i = 0; i < 3; i++) sockets.push(await connect(board, viewer, "?series=none:none"));
    const onRelay = sockets[2]!;
    const relay = relayStub(board, 0);
    try {
      await onRelay.nextMessage("hello");
      onRelay.socket.send(JSON.stringify({ type: "query", id: "t", expr: "vector(time())", step: 1000 }));
      const results = new ContiguousResults(onRelay, () => 1);
      const take = async () => {
        const event = await results.next();
        for (const series of event.result)
          for (const [t, value] of series.values) expect(value).toBe(String(t));
        return event;
      };
      while ((await take()).kind !== "steps");
      await stopLiveQueryClocks(relay);
      await evictDurableObject(relay, { webSockets: "hibernate" });
      // Any event wakes it (here a call into it): it resubscribes from the socket's attachment.
      await runInDurableObject(relay, () => {});
      const before = results.last.get("t")!;
      const resumed = await take();
      expect(resumed).toMatchObject({ kind: "history", start: before + 1 });
      while (results.last.get("t")! < before + 2) await take();
      expect(onRelay.closed).toBeNull();
    } finally {
      for (const socket of sockets) socket.close();
      // The relay ends its evaluation once it sees the socket go; the test's runtime must not close before.
      for (let tries = 0; tries < 50 && (await subscriptionsOn(relay)) > 0; tries++) await sleep(100);
    }
  });
});
