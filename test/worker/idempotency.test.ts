import { evictDurableObject, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { ShardObject } from "../../worker/shard/shard-object.ts";
import { answer, freshBoard, ingest, shardStub, token } from "./helpers.ts";

function storedRows(board: string): Promise<number> {
  return runInDurableObject(
    shardStub(board),
    (_instance, state) => state.storage.sql.exec<{ n: number }>("SELECT count(*) AS n FROM batches").one().n,
  );
}

const body = { metrics: { m: 1, n: 2 } };

describe("Idempotency-Key", () => {
  it("answers a repeat with the first result and stores nothing twice", async () => {
    const board = freshBoard();
    const device = await token("device", board, "d");
    const first = await answer(ingest(device, body, { "idempotency-key": "batch-1" }));
    const again = await answer(ingest(device, body, { "idempotency-key": "batch-1" }));
    expect(first).toEqual({
      status: 202,
      body: { accepted: 2, positions: [{ sid: 0, epoch: expect.any(Number), seq: 1 }] },
    });
    expect(again).toEqual(first);
    expect(await storedRows(board)).toBe(1);
  });

  it("recognises a retry after the board was evicted", async () => {
    const board = freshBoard();
    const device = await token("device", board, "d");
    const first = await answer(ingest(device, body, { "idempotency-key": "k" }));
    await evictDurableObject(shardStub(board));
    expect(await answer(ingest(device, body, { "idempotency-key": "k" }))).toEqual(first);
    expect(await storedRows(board)).toBe(1);
  });

  it("recognises a retry from the log after a checkpoint, other posts and an eviction", async () => {
    const board = freshBoard();
    const device = await token("device", board, "d");
    const first = await answer(ingest(device, body, { "idempotency-key": "early" }));
    await runInDurableObject(shardStub(board), (instance: ShardObject) => instance.checkpoint());
    for (let i = 0; i < 5; i++)
      await ingest(device, { metrics: { m: i } }, { "idempotency-key": `later-${i}` });
    await evictDurableObject(shardStub(board));
    expect(await answer(ingest(device, body, { "idempotency-key": "early" }))).toEqual(first);
    expect(await storedRows(board)).toBe(6);
  });

  it("answers 422 to the same key with a different body", async () => {
    const board = freshBoard();
    const device = await token("device", board, "d");
    await ingest(device, body, { "idempotency-key": "k" });
    const { status, body: error } = await answer(
      ingest(device, { metrics: { m: 9 } }, { "idempotency-key": "k" }),
    );
    expect(status).toBe(422);
    expect(error.error).toMatchObject({ code: "idempotency_key_reused", path: "idempotency-key" });
    expect(await storedRows(board)).toBe(1);
  });

  it("keeps the keys of different devices apart", async () => {
    const board = freshBoard();
    const one = await token("device", board, "one");
    const two = await token("device", board, "two");
    expect((await answer(ingest(one, body, { "idempotency-key": "same" }))).body.positions[0].seq).toBe(1);
    expect((await answer(ingest(two, body, { "idempotency-key": "same" }))).body.positions[0].seq).toBe(2);
  });

  it.each(["", "x".repeat(129), "caf\u00e9", "two words"])("refuses the key %j with 400", async (key) => {
    const board = freshBoard();
    const device = await token("device", board, "d");
    const { status, body: error } = await answer(ingest(device, body, { "idempotency-key": key }));
    expect(status).toBe(400);
    expect(error.error).toMatchObject({ code: "invalid_idempotency_key", path: "idempotency-key" });
    expect(await storedRows(board)).toBe(0);
  });
});
