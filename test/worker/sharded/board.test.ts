import { evictDurableObject, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { deviceShard, shardSid } from "../../../worker/board/shards.ts";
import {
  formatLabels,
  formatPosition,
  type HistoryResult,
  type StreamPosition,
} from "../../../worker/protocol/index.ts";
import type { SeriesSummary } from "../../../worker/shard/shard-api.ts";
import type { ShardObject } from "../../../worker/shard/shard-object.ts";
import {
  answer,
  connect,
  freshBoard,
  hubStub,
  ingest,
  relayStub,
  request,
  shardStub,
  token,
  type Viewer,
} from "../helpers.ts";
import { StreamCheck } from "./stream-check.ts";

/** The test project's layout: BOARD_SHARDS = 4, VIEWERS_PER_OBJECT = 2. */
const LAYOUT = [0, 1, 2, 3].map((i) => shardSid(4, i));

async function viewerOf(board: string): Promise<string> {
  return token("viewer", board);
}

function get(path: string, viewer: string) {
  return answer(request(path, { headers: { authorization: `Bearer ${viewer}` } }));
}

/** Posts InfluxDB line protocol with a gateway token: one request may carry many devices. */
function writeLines(board: string, gateway: string, lines: string[], headers: Record<string, string> = {}) {
  return request(`/api/v2/write?org=o&bucket=${board}&precision=ms`, {
    method: "POST",
    headers: { authorization: `Token ${gateway}`, ...headers },
    body: lines.join("\n"),
  });
}

function requestsPerShard(board: string): Promise<number[]> {
  return Promise.all(
    LAYOUT.map((sid) =>
      runInDurableObject(
        shardStub(board, sid),
        async (shard: ShardObject) => (await shard.stats()).counters.requests,
      ),
    ),
  );
}

async function greeted(board: string, viewer: string, query = ""): Promise<Viewer> {
  const socket = await connect(board, viewer, query);
  await socket.nextMessage("hello");
  return socket;
}

describe("sharded ingest", () => {
  it("routes each device to one shard by a stable hash and spreads devices evenly", async () => {
    const board = freshBoard();
    const devices = Array.from({ length: 100 }, (_, i) => `sensor-${crypto.randomUUID().slice(0, 8)}-${i}`);
    for (const device of devices) {
      const answered = await answer(ingest(await token("device", board, device), { metrics: { t: 1 } }));
      expect(answered.body.positions).toEqual([
        { sid: deviceShard(device, 4), epoch: expect.any(Number), seq: expect.any(Number) },
      ]);
    }
    const counts = await requestsPerShard(board);
    expect(counts.reduce((a, b) => a + b, 0)).toBe(100);
    for (const count of counts) expect(count).toBeGreaterThanOrEqual(10);
    const { body } = await get(`/api/v1/boards/${board}/stats`, await viewerOf(board));
    expect(body.shards).toEqual({ current: 4, total: 4 });
    expect(body.series.count).toBe(100);
    expect(body.ingest.requests).toBe(100);
    expect(body.positions.map((p: { sid: number }) => p.sid)).toEqual(LAYOUT);
  });

  it("stores a gateway's request for devices of several shards part by part, and a retry exactly once", async () => {
    const board = freshBoard();
    const gateway = await token("gateway", board, "gw");
    const now = Date.now();
    const lines = Array.from({ length: 16 }, (_, i) => `temp,host=dev-${i} value=${i} ${now}`);
    const key = { "idempotency-key": "batch-7" };
    expect((await writeLines(board, gateway, lines, key)).status).toBe(204);
    expect((await writeLines(board, gateway, lines, key)).status).toBe(204);
    expect(await requestsPerShard(board)).toEqual(
      LAYOUT.map((sid) => (lines.some((_, i) => deviceShard(`dev-${i}`, 4) === sid) ? 1 : 0)),
    );
    const { body } = await get(`/api/v1/boards/${board}/stats`, await viewerOf(board));
    expect(body.ingest.points).toBe(16);
  });
});

/** The relays a board's hub feeds (its `relays` table). */
function activeRelays(board: string): Promise<number[]> {
  return runInDurableObject(hubStub(board), (_hub, state) =>
    state.storage.sql
      .exec<{ idx: number }>("SELECT idx FROM relays")
      .toArray()
      .map((row) => row.idx),
  );
}

describe("live across 4 shards and 3 relays", () => {
  it("delivers every point to every viewer exactly once and in order per series, across evictions of every object", async () => {
    const board = freshBoard();
    const viewer = await viewerOf(board);
    const devices = Array.from({ length: 12 }, (_, i) => `d${i}`);
    const deviceTokens = await Promise.all(devices.map((device) => token("device", board, device)));
    // Two on the hub, then two on each of relays 0, 1 and 2; the last watches only two devices' series.
    const sockets: Viewer[] = [];
    for (let i = 0; i < 7; i++) sockets.push(await greeted(board, viewer));
    sockets.push(await greeted(board, viewer, "?series=d3:*&series=d10:*"));
    const checks = sockets.map((socket, i) => new StreamCheck(socket, i < 7));
    const stats = await get(`/api/v1/boards/${board}/stats`, viewer);
    expect(stats.body.viewers.websocket).toBe(8);

    const rounds = 12;
    for (let round = 0; round < rounds; round++) {
      await Promise.all(
        deviceTokens.map((device) => ingest(device, { metrics: { m: round, n: 100 - round } })),
      );
      if (round === 3) for (const sid of LAYOUT) await evictDurableObject(shardStub(board, sid));
      if (round === 6) {
        await evictDurableObject(hubStub(board), { webSockets: "hibernate" });
        for (let relay = 0; relay < 3; relay++)
          await evictDurableObject(relayStub(board, relay), { webSockets: "hibernate" });
      }
      if (round === 9) {
        for (const sid of LAYOUT) await evictDurableObject(shardStub(board, sid));
        await evictDurableObject(hubStub(board), { webSockets: "hibernate" });
        await evictDurableObject(relayStub(board, 1), { webSockets: "hibernate" });
      }
    }
    const expected = Array.from({ length: rounds }, (_, i) => i);
    const watched = (all: boolean) => devices.filter((device) => all || device === "d3" || device === "d10");
    for (const [i, check] of checks.entries()) {
      const mine = watched(i < 7);
      await check.until((c) => mine.every((device) => (c.values.get(`${device}:m`)?.length ?? 0) >= rounds));
      for (const device of mine) {
        expect(check.values.get(`${device}:m`), `viewer ${i}, ${device}`).toEqual(expected);
        expect(check.values.get(`${device}:n`), `viewer ${i}, ${device}`).toEqual(
          expected.map((v) => 100 - v),
        );
      }
      expect([...check.values.keys()].length).toBe(mine.length * 2);
    }
    for (const socket of sockets) socket.close();
  });

  it("resumes a viewer across shard and hub evictions from its position, exactly once", async () => {
    const board = freshBoard();
    const viewer = await viewerOf(board);
    const devices = ["a", "b", "c", "d", "e"];
    const deviceTokens = await Promise.all(devices.map((device) => token("device", board, device)));
    const post = (value: number) =>
      Promise.all(deviceTokens.map((device) => ingest(device, { metrics: { m: value } })));
    const seen = new Map<string, number[]>();
    let position: StreamPosition = [];
    for (let round = 0; round < 4; round++) {
      const socket = await connect(board, viewer, round === 0 ? "" : `?pos=${formatPosition(position)}`);
      const check = new StreamCheck(socket);
      for (const entry of position) check.positions.set(entry.sid, entry);
      await post(round * 2);
      const had = (device: string) => seen.get(`${device}:m`)?.length ?? 0;
      // Everything up to this round's post: the one missed while away (replayed), then this one (live).
      await check.until((c) =>
        devices.every((d) => had(d) + (c.values.get(`${d}:m`)?.length ?? 0) === round * 2 + 1),
      );
      socket.close();
      for (const [name, values] of check.values) seen.set(name, [...(seen.get(name) ?? []), ...values]);
      position = [...check.positions].map(([sid, { epoch, seq }]) => ({ sid, epoch, seq }));
      // Missed while away, then the objects restart: the next connection replays it from the shards' logs.
      await post(round * 2 + 1);
      for (const sid of LAYOUT) await evictDurableObject(shardStub(board, sid));
      await evictDurableObject(hubStub(board));
    }
    for (const device of devices) expect(seen.get(`${device}:m`), device).toEqual([0, 1, 2, 3, 4, 5, 6]);
  });
});

describe("queries across shards", () => {
  it("answer exactly what one object holding the same points answers", async () => {
    const board = freshBoard();
    const single = env.SHARDS.get(env.SHARDS.idFromName(freshBoard()));
    const now = Date.now();
    const devices = Array.from({ length: 9 }, (_, i) => `unit-${i}`);
    for (const [d, device] of devices.entries()) {
      const points = Array.from({ length: 60 }, (_, i) => ({
        metric: i % 2 ? "temp" : "load",
        ts: now - 50 * 60_000 + i * 47_000 + d,
        value: Math.round(Math.sin(i + d) * 1000) / 10,
        ...(i % 3 === 0 ? { labels: { core: String(i % 2) } } : {}),
      }));
      expect((await ingest(await token("device", board, device), { points })).status).toBe(202);
      const key = (p: (typeof points)[number]) => `${p.metric}|${p.labels ? formatLabels(p.labels) : ""}`;
      const series = [...new Set(points.map(key))];
      await single.ingest({
        principal: "device:d",
        points: {
          series: series.map((s) => ({ device, metric: s.split("|")[0]!, labels: s.split("|")[1]! })),
          seriesIndex: Uint16Array.from(points, (p) => series.indexOf(key(p))),
          ts: Float64Array.from(points, (p) => p.ts),
          values: Float64Array.from(points, (p) => p.value),
        },
      });
    }
    const viewer = await viewerOf(board);
    const minute = 60_000;
    for (const [selector, range] of [
      ["unit-5:*", `from=${now - 59 * minute}&to=${now + minute}&step=1m`],
      ['*:temp{core="1"}', `from=${now - 59 * minute}&to=${now + minute}&step=10m`],
      ["unit-3:load", `from=${now - 15 * minute}&to=${now}&step=500ms`],
      ["*:load", `from=${now - 50 * minute}&to=${now + minute}&step=2s`],
      ["*:*", `from=${now - 120 * minute}&to=${now - minute}&step=5s`],
    ] as const) {
      const { status, body } = await get(
        `/api/v1/boards/${board}/query?series=${encodeURIComponent(selector)}&${range}`,
        viewer,
      );
      expect(status, `${selector} ${JSON.stringify(body)}`).toBe(200);
      const merged = body as HistoryResult;
      const reference = await single.history(
        { selectors: [selector], ...(await timesOf(range, now)) },
        false,
      );
      if ("error" in reference) throw new Error(reference.error.message);
      const byName = (series: HistoryResult["series"]) =>
        [...series].map(({ ...s }) => JSON.stringify(s)).sort();
      const withoutLastTs = reference.series.map(({ lastTs: _lastTs, ...s }) => s);
      expect(byName(merged.series), selector).toEqual(byName(withoutLastTs));
      expect(merged.positions.map((p) => p.sid)).toEqual(LAYOUT);
    }
    const list = await get(`/api/v1/boards/${board}/series`, viewer);
    const reference = await single.listSeries();
    const strip = (s: SeriesSummary) => ({ ...s, online: true });
    expect(list.body.series.map(strip).sort(compareNames)).toEqual(reference.map(strip).sort(compareNames));
  });
});

/** A history request's times as the Worker computes them, from the test's query text. */
async function timesOf(range: string, now: number) {
  const { parseHistoryQuery } = await import("../../../worker/query/params.ts");
  const { selectors: _selectors, ...times } = parseHistoryQuery(
    new URLSearchParams(`series=a:b&${range}`),
    now,
  );
  return times;
}

function compareNames(a: { device: string; metric: string }, b: { device: string; metric: string }): number {
  return `${a.device}:${a.metric}:${JSON.stringify(a)}`.localeCompare(
    `${b.device}:${b.metric}:${JSON.stringify(b)}`,
  );
}

describe("relays", () => {
  it("serve SSE and long polls past the hub's share, and stop being fed once their viewers leave", async () => {
    const board = freshBoard();
    const viewer = await viewerOf(board);
    const onHub = [await greeted(board, viewer), await greeted(board, viewer)];
    const events = await request(`/api/v1/boards/${board}/events`, {
      headers: { authorization: `Bearer ${viewer}` },
    });
    expect(events.status).toBe(200);
    const first = await get(`/api/v1/boards/${board}/poll`, viewer);
    expect(first.status).toBe(200);
    await ingest(await token("device", board, "d"), { metrics: { m: 42 } });
    const next = await get(
      `/api/v1/boards/${board}/poll?pos=${formatPosition(first.body.positions)}&wait=5000`,
      viewer,
    );
    expect(next.body.frames).toHaveLength(1);
    const reader = events.body!.getReader();
    let text = "";
    while (!text.includes("event: frame")) text += new TextDecoder().decode((await reader.read()).value);
    await reader.cancel();
    const stats = await get(`/api/v1/boards/${board}/stats`, viewer);
    expect(stats.body.viewers.websocket).toBe(2);
    const relays = () => activeRelays(board);
    expect(await relays()).toEqual([0]);
    for (const socket of onHub) socket.close();
  });

  it("are left once their last socket closes", async () => {
    const board = freshBoard();
    const viewer = await viewerOf(board);
    const sockets = [];
    for (let i = 0; i < 4; i++) sockets.push(await greeted(board, viewer));
    const relays = () => activeRelays(board);
    expect(await relays()).toEqual([0]);
    for (const socket of sockets.slice(2)) socket.close();
    const deadline = Date.now() + 5000;
    while ((await relays()).length > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(await relays()).toEqual([]);
    for (const socket of sockets.slice(0, 2)) socket.close();
  });
});

describe("a relay left idle", () => {
  it("greets its next viewer from where the board is now, not from where its flushes stopped", async () => {
    const board = freshBoard();
    const viewer = await viewerOf(board);
    const onHub = [await greeted(board, viewer), await greeted(board, viewer)];
    const onRelay = [await greeted(board, viewer), await greeted(board, viewer)];
    expect(await activeRelays(board)).toEqual([0]);
    for (const socket of onRelay) socket.close();
    const deadline = Date.now() + 5000;
    while ((await activeRelays(board)).length > 0 && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 50));
    // The hub feeds relay 0 no more; the board moves on, which the hub's viewers see.
    const check = new StreamCheck(onHub[0]!);
    for (let i = 0; i < 4; i++) await ingest(await token("device", board, `d${i}`), { metrics: { m: i } });
    await check.until((c) => [...c.values.values()].flat().length === 4);
    const position = [...check.positions].map(([sid, { epoch, seq }]) => ({ sid, epoch, seq }));
    // The hub is full: a poll from there goes to relay 0, which must know the board at least that far.
    const poll = await get(`/api/v1/boards/${board}/poll?pos=${formatPosition(position)}&wait=100`, viewer);
    expect(poll.status).toBe(200);
    expect(poll.body.messages.map((m: { type: string }) => m.type)).toEqual(["series"]);
    expect(poll.body.positions).toEqual(position);
    for (const socket of onHub) socket.close();
  });
});

describe("changing the shard count", () => {
  it("keeps reading a board's older shards: series, queries, stats and live all include them", async () => {
    const board = freshBoard();
    const now = Date.now();
    // Written while the board had one shard (its object keeps the board's name): it registers with the hub.
    const old = env.SHARDS.get(env.SHARDS.idFromName(board));
    await old.ingest({
      principal: "device:d",
      points: {
        series: [{ device: "kept", metric: "m", labels: "" }],
        seriesIndex: new Uint16Array(3),
        ts: Float64Array.from([now - 3000, now - 2000, now - 1000]),
        values: Float64Array.from([1, 2, 3]),
      },
    });
    // Then the layout became 4 shards: the same device's next points go to its new shard.
    expect(
      (await ingest(await token("device", board, "kept"), { points: [{ metric: "m", value: 4, ts: now }] }))
        .status,
    ).toBe(202);
    const viewer = await viewerOf(board);
    const deadline = Date.now() + 5000;
    let stats = await get(`/api/v1/boards/${board}/stats`, viewer);
    while (stats.body.shards.total < 5 && Date.now() < deadline)
      stats = await get(`/api/v1/boards/${board}/stats`, viewer);
    expect(stats.body.shards).toEqual({ current: 4, total: 5 });
    expect(stats.body.ingest.points).toBe(4);
    const series = await get(`/api/v1/boards/${board}/series`, viewer);
    expect(series.body.series).toMatchObject([{ device: "kept", metric: "m", last: { value: 4 } }]);
    const history = await get(
      `/api/v1/boards/${board}/query?series=kept:m&from=${now - 60_000}&to=${now + 60_000}&step=1m`,
      viewer,
    );
    expect(history.body.series).toHaveLength(1);
    expect(history.body.series[0].count.reduce((a: number, b: number) => a + b, 0)).toBe(4);
    expect(history.body.positions.map((p: { sid: number }) => p.sid)).toEqual([0, ...LAYOUT]);
    // One series on two shards: aggregating shard by shard would count it twice, so PromQL merges it first.
    const counted = await get(
      `/api/v1/boards/${board}/prometheus/api/v1/query?query=${encodeURIComponent("count(m)")}&time=${now / 1000}`,
      viewer,
    );
    expect(counted.body.data.result).toEqual([{ metric: {}, value: [now / 1000, "1"] }]);
    const socket = await connect(board, viewer);
    await socket.nextMessage("hello");
    const snapshot = await socket.nextMessage("snapshot");
    expect(snapshot.positions.map((p) => p.sid)).toEqual([0, ...LAYOUT]);
    expect(snapshot.series.map((s) => s.id >= 65_536)).toEqual([false, true]);
    socket.close();
  });
});

describe("a board of 20,000 series", () => {
  it("takes 1,000 devices × 20 metrics over 4 shards, lists them, and streams one device's series", async () => {
    const board = freshBoard();
    const gateway = await token("gateway", board, "fleet");
    const viewer = await viewerOf(board);
    const fields = Array.from({ length: 20 }, (_, f) => `f${f}=${f}`).join(",");
    const device = (i: number) => `dev-${String(i).padStart(4, "0")}`;
    const now = Date.now();
    for (let half = 0; half < 2; half++) {
      const lines = Array.from(
        { length: 500 },
        (_, i) => `m,host=${device(half * 500 + i)} ${fields} ${now}`,
      );
      const written = await writeLines(board, gateway, lines);
      expect(written.status, await written.text()).toBe(204);
    }
    const stats = await get(`/api/v1/boards/${board}/stats`, viewer);
    expect(stats.body.series).toEqual({ count: 20_000, limit: 20_000 });
    expect(stats.body.devices.count).toBe(1000);
    const listed = await get(`/api/v1/boards/${board}/series`, viewer);
    expect(listed.body.series).toHaveLength(20_000);
    const socket = await connect(board, viewer, "?series=dev-0777:*");
    await socket.nextMessage("hello");
    expect((await socket.nextMessage("snapshot")).series).toHaveLength(20);
    await writeLines(board, gateway, [`m,host=dev-0777 f3=33 ${now + 1}`, `m,host=dev-0001 f3=1 ${now + 1}`]);
    const frame = await socket.nextFrame();
    expect(frame.groups.flatMap((group) => group.values)).toEqual([33]);
    socket.close();
  });
});

describe("alerts across shards", () => {
  it("are evaluated on every shard, merged by the API, and reach viewers on the hub and on relays", async () => {
    const board = freshBoard();
    const admin = await token("admin", board);
    const rule = await answer(
      request(`/api/v1/boards/${board}/alerts`, {
        method: "POST",
        headers: { authorization: `Bearer ${admin}`, "content-type": "application/json" },
        body: JSON.stringify({ name: "hot", series: "*:temp", op: ">", threshold: 90 }),
      }),
    );
    expect(rule.status).toBe(201);
    // Devices on two different shards, each with a series before anyone watches.
    const first = "dev-0";
    const second = Array.from({ length: 50 }, (_, i) => `dev-${i + 1}`).find(
      (d) => deviceShard(d, 4) !== deviceShard(first, 4),
    )!;
    for (const device of [first, second])
      await ingest(await token("device", board, device), { metrics: { temp: 20 } });
    const viewer = await viewerOf(board);
    // Two on the hub (its share in this project), the third on a relay.
    const sockets = [
      await greeted(board, viewer),
      await greeted(board, viewer),
      await greeted(board, viewer),
    ];
    expect(await activeRelays(board)).toEqual([0]);
    for (const device of [first, second])
      await ingest(await token("device", board, device), { metrics: { temp: 95 } });
    for (const socket of sockets) {
      const fired: string[] = [];
      while (fired.length < 2) {
        const item = await socket.next();
        if (item.kind === "message" && item.message.type === "alert") fired.push(item.message.event.series);
      }
      expect(fired.sort()).toEqual([`${first}:temp`, `${second}:temp`]);
      socket.close();
    }
    const listed = await get(`/api/v1/boards/${board}/alerts`, viewer);
    expect(listed.body.active.map((a: { series: string }) => a.series).sort()).toEqual([
      `${first}:temp`,
      `${second}:temp`,
    ]);
    const events = await get(`/api/v1/boards/${board}/alerts/events?from=0`, viewer);
    expect(new Set(events.body.events.map((e: { sid: number }) => e.sid))).toEqual(
      new Set([deviceShard(first, 4), deviceShard(second, 4)]),
    );
  });
});
