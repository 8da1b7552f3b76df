import { runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { AlertEvent } from "../../worker/protocol/index.ts";
import type { ShardObject } from "../../worker/shard/shard-object.ts";
import {
  answer,
  evictBoard,
  framePoints,
  freshBoard,
  ingest,
  request,
  shardStub,
  token,
  watching,
} from "./helpers.ts";

async function alerts(board: string, path = "", init: RequestInit & { as?: string } = {}) {
  const credential = init.as ?? (await token("admin", board));
  return answer(
    request(`/api/v1/boards/${board}/alerts${path}`, {
      ...init,
      headers: { authorization: `Bearer ${credential}`, "content-type": "application/json" },
    }),
  );
}

function addRule(board: string, rule: Record<string, unknown>) {
  return alerts(board, "", { method: "POST", body: JSON.stringify(rule) });
}

/** Posts `temp` values of device `d1` at the given timestamps. */
async function post(board: string, points: Array<[ts: number, value: number]>) {
  const device = await token("device", board, "d1");
  const body = { points: points.map(([ts, value]) => ({ metric: "temp", value, ts })) };
  const response = await answer(ingest(device, body));
  expect(response.status).toBe(202);
}

async function events(board: string): Promise<Array<Pick<AlertEvent, "state" | "from" | "value" | "at">>> {
  const { body } = await alerts(board, "/events?from=0");
  return body.events.map(({ state, from, value, at }: AlertEvent) => ({ state, from, value, at }));
}

const hot = { name: "too hot", series: "d1:temp", op: ">", threshold: 90 };

describe("alert rules API", () => {
  it("adds rules for admins only, lists them to viewers without their webhooks, and deletes them", async () => {
    const board = freshBoard();
    const viewer = await token("viewer", board);
    expect((await alerts(board, "", { method: "POST", body: "{}", as: viewer })).body.error.code).toBe(
      "wrong_token_kind",
    );
    const created = await addRule(board, { ...hot, webhook: "https://hooks.example/alerts" });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ ...hot, forMs: 0, id: expect.stringMatching(/^rule_/) });
    expect(created.body.webhookSecret).toMatch(/^whsec_/);

    const seen = await alerts(board, "", { as: viewer });
    expect(seen.body.rules).toEqual([
      { ...hot, forMs: 0, id: created.body.id, createdAt: expect.any(Number) },
    ]);
    expect((await alerts(board)).body.rules[0].webhookSecret).toBe(created.body.webhookSecret);

    expect((await alerts(board, `/${created.body.id}`, { method: "DELETE", as: viewer })).status).toBe(403);
    expect((await alerts(board, `/${created.body.id}`, { method: "DELETE" })).body).toEqual({
      deleted: created.body.id,
    });
    expect((await alerts(board, `/${created.body.id}`, { method: "DELETE" })).status).toBe(404);
    expect((await alerts(board)).body.rules).toEqual([]);
  });

  it.each([
    [{ ...hot, threshold: undefined }, "threshold"],
    [{ ...hot, op: "==" }, "op"],
    [{ ...hot, series: "no selector" }, "series"],
    [{ ...hot, forMs: -1 }, "forMs"],
    [{ ...hot, clearThreshold: 95 }, "clearThreshold"],
    [{ ...hot, webhook: "ftp://example.com" }, "webhook"],
    [{ ...hot, name: "" }, "name"],
    [{ ...hot, severity: "high" }, "severity"],
    [{ name: "silent", series: "d1:temp", op: "nodata", forMs: 10 }, "forMs"],
    [{ name: "silent", series: "d1:temp", op: "nodata", forMs: 60_000, threshold: 1 }, "threshold"],
  ])("refuses %j naming %s", async (rule, path) => {
    const board = freshBoard();
    const refused = await addRule(board, rule);
    expect(refused.status).toBe(400);
    expect(refused.body.error.path).toBe(path);
    expect((await alerts(board)).body.rules).toEqual([]);
  });

  it("refuses malformed bodies, unknown ids and bad parameters with 4xx", async () => {
    const board = freshBoard();
    expect((await alerts(board, "", { method: "POST", body: "[" })).body.error.code).toBe("invalid_json");
    expect((await alerts(board, "", { method: "POST", body: "[]" })).body.error.code).toBe("invalid_body");
    expect((await alerts(board, "", { method: "POST", body: "x".repeat(5000) })).status).toBe(413);
    expect((await alerts(board, "/rule_%00", { method: "DELETE" })).status).toBe(404);
    expect((await alerts(board, "/events?from=yesterday")).body.error).toMatchObject({
      code: "invalid_time",
      path: "from",
    });
    expect((await alerts(board, "/events?limit=5000")).body.error.path).toBe("limit");
    expect((await alerts(board, "", { method: "PUT", body: "{}" })).status).toBe(405);
  });
});

describe("threshold alerts", () => {
  it("fire at once without forMs and resolve at the first point back", async () => {
    const board = freshBoard();
    await addRule(board, hot);
    const t = Date.now() - 10_000;
    await post(board, [
      [t, 50],
      [t + 1000, 95],
      [t + 2000, 96],
    ]);
    const { body } = await alerts(board);
    expect(body.active).toEqual([
      { rule: body.rules[0].id, series: "d1:temp", state: "firing", since: t + 1000, value: 95 },
    ]);
    await post(board, [[t + 3000, 80]]);
    expect(await events(board)).toEqual([
      { state: "firing", from: "ok", value: 95, at: t + 1000 },
      { state: "resolved", from: "firing", value: 80, at: t + 3000 },
    ]);
    expect((await alerts(board)).body.active).toEqual([]);
  });

  it("stay pending until the condition held forMs, and a pending one that clears never fires", async () => {
    const board = freshBoard();
    await addRule(board, { ...hot, forMs: 5000 });
    const t = Date.now() - 60_000;
    await post(board, [
      [t, 91],
      [t + 1000, 50],
      [t + 2000, 92],
      [t + 4000, 93],
      [t + 7000, 94],
    ]);
    expect(await events(board)).toEqual([
      { state: "pending", from: "ok", value: 91, at: t },
      { state: "resolved", from: "pending", value: 50, at: t + 1000 },
      { state: "pending", from: "ok", value: 92, at: t + 2000 },
      { state: "firing", from: "pending", value: 94, at: t + 7000 },
    ]);
  });

  it("take from as queries do: ms, RFC 3339, now or relative like -10m", async () => {
    const board = freshBoard();
    await addRule(board, hot);
    const t = Date.now() - 10_000;
    await post(board, [
      [t, 95],
      [t + 2000, 50],
    ]);
    const states = async (from: string) =>
      (await alerts(board, `/events?from=${encodeURIComponent(from)}`)).body.events?.map(
        (e: AlertEvent) => e.state,
      );
    expect(await states("-10m")).toEqual(["firing", "resolved"]);
    expect(await states(String(t + 1))).toEqual(["resolved"]);
    expect(await states(new Date(t + 1).toISOString())).toEqual(["resolved"]);
    expect(await states(new Date(t).toISOString())).toEqual(["firing", "resolved"]);
    expect(await states("now")).toEqual([]);
  });

  it("list the newest transitions first on request", async () => {
    const board = freshBoard();
    await addRule(board, hot);
    const t = Date.now() - 10_000;
    await post(board, [
      [t, 95],
      [t + 1000, 50],
      [t + 2000, 96],
    ]);
    const { body } = await alerts(board, "/events?from=0&order=desc&limit=2");
    expect(body.events.map((e: AlertEvent) => [e.state, e.at])).toEqual([
      ["firing", t + 2000],
      ["resolved", t + 1000],
    ]);
    expect(body.truncated).toBe(true);
    expect((await alerts(board, "/events?order=up")).body.error.path).toBe("order");
  });

  it("with clearThreshold keep firing until a point passes it (hysteresis)", async () => {
    const board = freshBoard();
    await addRule(board, { ...hot, clearThreshold: 80 });
    const t = Date.now() - 10_000;
    await post(board, [
      [t, 95],
      [t + 1000, 85],
      [t + 2000, 79],
    ]);
    expect((await events(board)).map((e) => [e.state, e.value])).toEqual([
      ["firing", 95],
      ["resolved", 79],
    ]);
  });

  it("watch only the series their selector matches, each on its own", async () => {
    const board = freshBoard();
    await addRule(board, { name: "5xx", series: '*:errors{code=~"5.."}', op: ">=", threshold: 1 });
    const device = await token("device", board, "d1");
    const points = [
      { metric: "errors", value: 3, labels: { code: "500" } },
      { metric: "errors", value: 3, labels: { code: "404" } },
      { metric: "errors", value: 1, labels: { code: "503" } },
      { metric: "temp", value: 3 },
    ];
    expect((await ingest(device, { points })).status).toBe(202);
    const { body } = await alerts(board);
    expect(body.active.map((a: { series: string }) => a.series).sort()).toEqual([
      'd1:errors{code="500"}',
      'd1:errors{code="503"}',
    ]);
  });

  it("keep their state through an eviction: a firing alert is not fired again", async () => {
    const board = freshBoard();
    await addRule(board, hot);
    const t = Date.now() - 10_000;
    await post(board, [[t, 95]]);
    await evictBoard(board);
    expect((await alerts(board)).body.active).toHaveLength(1);
    await post(board, [[t + 1000, 97]]);
    await post(board, [[t + 2000, 10]]);
    expect((await events(board)).map((e) => e.state)).toEqual(["firing", "resolved"]);
  });

  it("stay on a shard that receives an older policy late (two admin changes spread out of order)", async () => {
    const board = freshBoard();
    await addRule(board, hot);
    await shardStub(board).applyPolicy({ limits: {}, revoked: [], alerts: [], version: 0 });
    await post(board, [[Date.now(), 95]]);
    expect((await alerts(board)).body.active).toHaveLength(1);
  });

  it("resolve when their rule is deleted", async () => {
    const board = freshBoard();
    const { body: rule } = await addRule(board, hot);
    await post(board, [[Date.now(), 95]]);
    await alerts(board, `/${rule.id}`, { method: "DELETE" });
    expect((await events(board)).map((e) => [e.state, e.from])).toEqual([
      ["firing", "ok"],
      ["resolved", "firing"],
    ]);
    expect((await alerts(board)).body.active).toEqual([]);
  });
});

describe("alert webhooks", () => {
  it("queue at most 20 per alert while the receiver is down, keeping the one being retried and the latest", async () => {
    const board = freshBoard();
    await addRule(board, { ...hot, webhook: "http://127.0.0.1:9/down" });
    const t = Date.now() - 60_000;
    // 30 crossings: 15 firings and 15 resolutions, each a webhook.
    await post(
      board,
      Array.from({ length: 30 }, (_, i) => [t + i * 1000, i % 2 === 0 ? 95 : 50] as [number, number]),
    );
    const queued = await runInDurableObject(shardStub(board), (shard: ShardObject) =>
      [
        ...(shard as unknown as { ctx: DurableObjectState }).ctx.storage.sql.exec<{ seq: number }>(
          "SELECT seq FROM webhook_outbox ORDER BY seq",
        ),
      ].map((row) => row.seq),
    );
    expect(queued).toHaveLength(20);
    expect(queued[0]).toBe(1);
    expect(queued.at(-1)).toBe(30);
  });
});

describe("nodata alerts", () => {
  it("fire from the alarm when a series is silent for forMs and resolve at its next point", async () => {
    const board = freshBoard();
    await addRule(board, { name: "silent", series: "d1:*", op: "nodata", forMs: 60_000 });
    await post(board, [[Date.now(), 1]]);
    const shard = shardStub(board);
    await runInDurableObject(shard, (object: ShardObject) => object.compact(Date.now() + 30_000));
    expect(await events(board)).toEqual([]);
    const later = Date.now() + 61_000;
    await runInDurableObject(shard, (object: ShardObject) => object.compact(later));
    const [fired] = await events(board);
    expect(fired).toMatchObject({ state: "firing", from: "ok", value: null });
    expect(fired!.at).toBeLessThanOrEqual(later);
    await post(board, [[Date.now(), 2]]);
    // The shard's clock was moved ahead to fire it, so the resolution is dated before the firing: order by seq.
    const { body } = await alerts(board, "/events?from=0");
    const bySeq = [...body.events].sort((a: AlertEvent, b: AlertEvent) => a.seq - b.seq);
    expect(bySeq.map((e: AlertEvent) => [e.state, e.from])).toEqual([
      ["firing", "ok"],
      ["resolved", "firing"],
    ]);
  });
});

describe("live alerts", () => {
  it("reach a viewer right after the frame holding the point that fired them", async () => {
    const board = freshBoard();
    const { body: rule } = await addRule(board, hot);
    await post(board, [[Date.now() - 1000, 50]]);
    await watching(board, async (viewer) => {
      const ts = Date.now();
      await post(board, [[ts, 99]]);
      const frame = await viewer.nextFrame();
      expect(framePoints(frame).map(([, t, v]) => [t, v])).toEqual([[ts, 99]]);
      const message = await viewer.nextMessage("alert");
      expect(message.event).toMatchObject({
        rule: rule.id,
        name: "too hot",
        series: "d1:temp",
        state: "firing",
      });
    });
  });
});
