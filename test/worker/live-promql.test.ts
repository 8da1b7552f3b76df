import { evictDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { remoteWriteBody, STALE, type WrittenSeries } from "../../scripts/remote-write-body.ts";
import { LiveQueries, Watcher } from "../../worker/live/live-queries.ts";
import type { EncodedEvent } from "../../worker/live/live-query.ts";
import { LIVE_QUERY_LIMITS, type LiveResult } from "../../worker/protocol/index.ts";
import {
  answer,
  ContiguousResults,
  connect,
  EventReader,
  freshBoard,
  hubStub,
  nextResult,
  postRemoteWrite,
  request,
  stopLiveQueryClocks,
  token,
} from "./helpers.ts";

type Written = Array<{ labels: Record<string, string>; samples: Array<readonly [number, number]> }>;

async function write(board: string, series: Written): Promise<void> {
  const gateway = await token("gateway", board, "prom");
  const response = await postRemoteWrite(gateway, remoteWriteBody(series as WrittenSeries[]));
  expect(response.status).toBe(204);
}

async function openLive(board: string, query: string, headers: Record<string, string> = {}) {
  const response = await request(`/api/v1/boards/${board}/prometheus/live?${query}`, {
    headers: { authorization: `Bearer ${await token("viewer", board)}`, ...headers },
  });
  return response;
}

/** What a client holds of a live query: per step and series, the value, corrections applied. */
class Applied {
  readonly points = new Map<string, string>();
  lastStep = Number.NEGATIVE_INFINITY;
  corrections = 0;

  apply(event: LiveResult): void {
    if (event.kind === "correction") {
      this.corrections++;
      for (const key of [...this.points.keys()]) {
        const t = Number(key.slice(key.lastIndexOf("@") + 1));
        if (t >= event.start && t <= event.end) this.points.delete(key);
      }
    } else {
      expect(event.start).toBe(this.lastStep === Number.NEGATIVE_INFINITY ? event.start : this.lastStep + 1);
      this.lastStep = event.end;
    }
    for (const series of event.result)
      for (const [t, value] of series.values) this.points.set(`${JSON.stringify(series.metric)}@${t}`, value);
  }
}

/** `query_range`'s answer as the same map. */
async function rangeAnswer(board: string, expr: string, start: number, end: number) {
  const params = new URLSearchParams({ query: expr, start: String(start), end: String(end), step: "1" });
  const { status, body } = await answer(
    request(`/api/v1/boards/${board}/prometheus/api/v1/query_range?${params}`, {
      headers: { authorization: `Bearer ${await token("viewer", board)}` },
    }),
  );
  expect(status).toBe(200);
  const points = new Map<string, string>();
  for (const series of body.data.result as LiveResult["result"])
    for (const [t, value] of series.values) points.set(`${JSON.stringify(series.metric)}@${t}`, value);
  return points;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("live PromQL over SSE", () => {
  it("refuses bad parameters in Prometheus's error shape, and bad expressions on their subscription only", async () => {
    const board = freshBoard();
    const noQuery = await answer(openLive(board, "step=1s"));
    expect(noQuery).toEqual({
      status: 400,
      body: { status: "error", errorType: "bad_data", error: "no query parameter provided" },
    });
    const badStep = await answer(openLive(board, "query=up&step=100ms"));
    expect(badStep.status).toBe(400);
    expect(badStep.body.error).toContain("step");
    const eleven = Array.from({ length: 11 }, (_, i) => `query=vector(${i})`).join("&");
    expect((await answer(openLive(board, eleven))).body.error).toBe("at most 10 queries per stream");
    const ids = await answer(openLive(board, "query=up&query=down&id=a"));
    expect(ids.body.error).toBe("give one id per query, or none");

    const response = await openLive(
      board,
      `query=${encodeURIComponent("sum(")}&query=vector(1)&id=bad&id=one`,
    );
    expect(response.status).toBe(200);
    const reader = new EventReader(response);
    const seen = new Map<string, { event: string; data: Record<string, unknown> }>();
    while (seen.size < 2) {
      const event = await reader.next();
      const data = JSON.parse(event.data) as Record<string, unknown>;
      seen.set(data.id as string, { event: event.event, data });
    }
    expect(seen.get("bad")).toMatchObject({
      event: "query_error",
      data: { status: "error", errorType: "bad_data" },
    });
    expect(seen.get("one")).toMatchObject({
      event: "result",
      data: { kind: "history", resultType: "matrix" },
    });
    // The good one goes on: its next steps come once final.
    const next = await reader.next();
    expect(JSON.parse(next.data)).toMatchObject({ id: "one", kind: "steps" });
    await reader.close();
  });

  it("a new evaluation holds the points relayed before it existed, past its last final step", async () => {
    const board = freshBoard();
    const viewer = await connect(board, await token("viewer", board)); // the hub is fed from now on
    await write(board, [{ labels: { __name__: "c", instance: "d" }, samples: [[1, Date.now() - 5000]] }]);
    await write(board, [{ labels: { __name__: "c", instance: "d" }, samples: [[2, Date.now()]] }]);
    const reader = new EventReader(await openLive(board, "query=c&step=1s"));
    const history = JSON.parse((await reader.next()).data) as LiveResult;
    const step = JSON.parse((await reader.next()).data) as LiveResult;
    expect(step).toMatchObject({ kind: "steps", start: history.end + 1 });
    expect(step.result[0]!.values).toEqual([[step.end, "2"]]);
    await reader.close();
    viewer.close();
  });

  it("resumes from Last-Event-ID, the last step every subscription of the stream had", async () => {
    const board = freshBoard();
    const query = `query=${encodeURIComponent("vector(time())")}&query=${encodeURIComponent("vector(1)")}&step=1s`;
    const reader = new EventReader(await openLive(board, query));
    let id: string | undefined;
    for (;;) {
      const event = await reader.next();
      id = event.id ?? id;
      if (JSON.parse(event.data).kind === "steps" && event.id !== undefined) break;
    }
    await reader.close();
    const lastEventId = id!;
    await sleep(1100); // a step passes: the resumed history holds it
    const resumed = new EventReader(await openLive(board, query, { "last-event-id": lastEventId }));
    for (let seen = 0; seen < 2; seen++) {
      const data = JSON.parse((await resumed.next()).data) as LiveResult;
      expect(data).toMatchObject({ kind: "history", start: Number(lastEventId) + 1 });
      expect(data.result[0]!.values[0]![0]).toBe(Number(lastEventId) + 1);
    }
    await resumed.close();
  });

  it("streams what query_range answers for the same steps: counter resets, series coming and going, staleness, late points", async () => {
    const board = freshBoard();
    const now = Date.now();
    const counter = (v: number, ts: number) => ({
      labels: { __name__: "req_total", instance: "a", job: "api" },
      samples: [[v, ts] as const],
    });
    // History before the subscription: a counter over the last 20 s.
    await write(board, [
      {
        labels: { __name__: "req_total", instance: "a", job: "api" },
        samples: Array.from({ length: 20 }, (_, i) => [i * 5, now - 20_000 + i * 1000] as const),
      },
    ]);
    const exprs = [
      "rate(req_total[3s])",
      "sum by (room) (temp)",
      "load",
      "min_over_time(temp[2s])",
      "count(up == 1) or vector(0)",
    ];
    const query = exprs.map((e) => `query=${encodeURIComponent(e)}`).join("&");
    const reader = new EventReader(await openLive(board, `${query}&step=1s&start=${(now - 30_000) / 1000}`));
    const applied = exprs.map(() => new Applied());
    let start = Number.NaN;
    const readUntil = async (step: number) => {
      while (applied.some((a) => a.lastStep < step)) {
        const event = await reader.next();
        expect(event.event).toBe("result");
        const result = JSON.parse(event.data) as LiveResult;
        if (result.kind === "history") start = result.start;
        applied[Number(result.id)]!.apply(result);
      }
    };
    await readUntil(Math.floor(now / 1000) - 1);
    let value = 100;
    for (let i = 0; i < 24; i++) {
      const ts = Date.now();
      value = i === 10 ? 3 : value + 7; // a counter reset at i = 10
      const series: Written = [counter(value, ts)];
      if (i >= 5)
        series.push({
          labels: { __name__: "temp", instance: "s1", room: "lab" },
          samples: [[20 + (i % 4), ts]],
        });
      if (i < 12) series.push({ labels: { __name__: "load", instance: "h1" }, samples: [[i / 10, ts]] });
      if (i === 12) series.push({ labels: { __name__: "load", instance: "h1" }, samples: [[STALE, ts]] });
      if (i % 3 === 0) series.push({ labels: { __name__: "up", instance: `d${i}` }, samples: [[1, ts]] });
      // A point 1.5 s late: its step was final already, a correction follows.
      if (i === 18)
        series.push({
          labels: { __name__: "temp", instance: "s2", room: "lab" },
          samples: [[99, ts - 1500]],
        });
      // A counter point 15 s late, between the series' earlier ones: older than the evaluation's memory (5 s), so
      // its correction re-reads storage for the windows around it.
      if (i === 19)
        series.push({
          labels: { __name__: "req_total", instance: "a", job: "api" },
          samples: [[57, ts - 15_000]],
        });
      await write(board, series);
      // Out of order within a series that has later points: it lands between them.
      if (i === 20)
        await write(board, [
          { labels: { __name__: "temp", instance: "s1", room: "lab" }, samples: [[-40, ts - 1130]] },
        ]);
      await sleep(250);
    }
    const last = Math.floor(Date.now() / 1000) + 1;
    await readUntil(last);
    await reader.close();
    for (const [i, expr] of exprs.entries()) {
      const settled = await rangeAnswer(board, expr, start, applied[i]!.lastStep);
      expect(Object.fromEntries(applied[i]!.points), expr).toEqual(Object.fromEntries(settled));
      expect(settled.size, expr).toBeGreaterThan(2);
    }
    // The late point changed sum by (room) (temp) at steps already sent.
    expect(applied[1]!.corrections).toBeGreaterThan(0);
    // The 15 s late counter point changed rate(req_total[3s]) at steps sent long before.
    expect(applied[0]!.corrections).toBeGreaterThan(0);
    // The out-of-order point is the window's minimum once it is in.
    expect([...applied[3]!.points.values()]).toContain("-40");
  }, 30_000);
});

async function stats(board: string) {
  const { body } = await answer(
    request(`/api/v1/boards/${board}/stats`, {
      headers: { authorization: `Bearer ${await token("viewer", board)}` },
    }),
  );
  return body.liveQueries as { evaluations: number; subscriptions: number };
}

describe("live PromQL on the live socket", () => {
  it("shares one evaluation per expression and step between sockets, ends it with the last unquery", async () => {
    const board = freshBoard();
    const viewer = await token("viewer", board);
    const [a, b] = [
      await connect(board, viewer, "?series=none:none"),
      await connect(board, viewer, "?series=none:none"),
    ];
    const query = { type: "query", expr: "vector(time())", step: 1000 };
    a.socket.send(JSON.stringify({ ...query, id: "x" }));
    b.socket.send(JSON.stringify({ ...query, id: "y" }));
    const [historyA, historyB] = [await nextResult(a), await nextResult(b)];
    expect(historyA).toMatchObject({ type: "result", id: "x", kind: "history", resultType: "matrix" });
    expect(historyB).toMatchObject({ type: "result", id: "y", kind: "history" });
    expect(await stats(board)).toEqual({ evaluations: 1, subscriptions: 2 });
    const [stepA, stepB] = [await nextResult(a), await nextResult(b)];
    expect(stepA).toMatchObject({
      kind: "steps",
      result: [
        {
          metric: {},
          values: [[stepA.type === "result" && stepA.end, String(stepA.type === "result" && stepA.end)]],
        },
      ],
    });
    expect({ ...stepB, id: "x" }).toEqual(stepA);
    a.socket.send(JSON.stringify({ type: "unquery", id: "x" }));
    await a.quiet(100);
    expect(await stats(board)).toEqual({ evaluations: 1, subscriptions: 1 });
    b.close();
    await b.quiet(100);
    expect(await stats(board)).toEqual({ evaluations: 0, subscriptions: 0 });
    a.close();
  });

  it("answers a bad expression on its subscription, and a bad message as an error", async () => {
    const board = freshBoard();
    const socket = await connect(board, await token("viewer", board), "?series=none:none");
    socket.socket.send(JSON.stringify({ type: "query", id: "q", expr: "rate(x[5m]", step: 1000 }));
    expect(await nextResult(socket)).toMatchObject({
      type: "query_error",
      id: "q",
      status: "error",
      errorType: "bad_data",
    });
    // A history longer than query_range answers fails as query_range does, and the evaluation goes with it.
    socket.socket.send(JSON.stringify({ type: "query", id: "old", expr: "up", step: 1000, start: 0 }));
    expect(await nextResult(socket)).toMatchObject({
      type: "query_error",
      id: "old",
      errorType: "bad_data",
      error: expect.stringContaining("exceeded maximum resolution of 11,000 points"),
    });
    expect(await stats(board)).toEqual({ evaluations: 0, subscriptions: 0 });
    socket.socket.send(JSON.stringify({ type: "query", id: "q", expr: "x", step: 10 }));
    for (;;) {
      const item = await socket.next();
      if (item.kind === "message" && item.message.type === "error") {
        expect(item.message.message).toContain("step must be");
        break;
      }
    }
    socket.close();
  });

  it("resumes after a reconnect from the last step it had: no gap, no repeat", async () => {
    const board = freshBoard();
    const viewer = await token("viewer", board);
    const first = await connect(board, viewer, "?series=none:none");
    const query = { type: "query", id: "t", expr: "vector(time())", step: 1000 };
    first.socket.send(JSON.stringify(query));
    await nextResult(first);
    const step = await nextResult(first);
    const last = step.type === "result" ? step.end : Number.NaN;
    first.close();
    await sleep(1500);
    const second = await connect(board, viewer, "?series=none:none");
    second.socket.send(JSON.stringify({ ...query, after: last }));
    const resumed = await nextResult(second);
    expect(resumed).toMatchObject({ kind: "history", start: last + 1 });
    const times = resumed.type === "result" ? resumed.result.flatMap((s) => s.values.map(([t]) => t)) : [];
    expect(times[0]).toBe(last + 1);
    const next = await nextResult(second);
    expect(next).toMatchObject({ kind: "steps", start: (resumed as { end: number }).end + 1 });
    second.close();
  });

  it("starts a socket subscription's history at its start, in seconds", async () => {
    const board = freshBoard();
    const socket = await connect(board, await token("viewer", board), "?series=none:none");
    const start = Math.floor(Date.now() / 1000) - 30;
    socket.socket.send(JSON.stringify({ type: "query", id: "s", expr: "vector(time())", step: 1000, start }));
    const history = await nextResult(socket);
    expect(history).toMatchObject({ kind: "history", start });
    expect(history.type === "result" ? history.result[0]!.values[0]![0] : Number.NaN).toBe(start);
    socket.close();
  });

  it("keeps a socket's subscriptions across an eviction of its hub: it goes on from the next step, no gap, no repeat", async () => {
    const board = freshBoard();
    const socket = await connect(board, await token("viewer", board), "?series=none:none");
    socket.socket.send(JSON.stringify({ type: "query", id: "t", expr: "vector(time())", step: 1000 }));
    socket.socket.send(JSON.stringify({ type: "query", id: "two", expr: "vector(2)", step: 2000 }));
    const results = new ContiguousResults(socket, (id) => (id === "t" ? 1 : 2));
    const take = async () => {
      const event = await results.next();
      for (const series of event.result)
        for (const [t, value] of series.values) expect(value).toBe(event.id === "t" ? String(t) : "2");
      return event;
    };
    const stepped = new Set<string>();
    while (stepped.size < 2) {
      const event = await take();
      if (event.kind === "steps") stepped.add(event.id);
    }
    await stopLiveQueryClocks(hubStub(board));
    await evictDurableObject(hubStub(board), { webSockets: "hibernate" });
    await sleep(1200);
    // The socket sent nothing: any request to the hub wakes it, and it resubscribes what the socket's attachment holds.
    let counts = await stats(board);
    for (let tries = 0; tries < 20 && counts.subscriptions < 2; tries++) {
      await sleep(100);
      counts = await stats(board);
    }
    expect(counts).toEqual({ evaluations: 2, subscriptions: 2 });
    const before = results.last.get("t")!;
    let resumed = false;
    while (results.last.get("t")! < before + 3) {
      const event = await take();
      if (event.id === "t" && event.kind === "history") resumed = true;
    }
    expect(resumed).toBe(true);
    expect(socket.closed).toBeNull();
    socket.close();
  }, 20_000);

  it("holds a socket to 10 subscriptions and 8,192 expression characters in all", async () => {
    const board = freshBoard();
    const socket = await connect(board, await token("viewer", board), "?series=none:none");
    const send = (id: string, expr: string) =>
      socket.socket.send(JSON.stringify({ type: "query", id, expr, step: 1000 }));
    const padded = (n: number) => `vector(${n})${" ".repeat(4096 - `vector(${n})`.length)}`;
    send("a", padded(1));
    send("b", padded(2));
    await sleep(400); // within the socket's message budget (2 subscription changes a second)
    const errors = async () => {
      for (;;) {
        const message = await nextResult(socket);
        if (message.type === "query_error") return message;
      }
    };
    send("c", "vector(3)");
    expect(await errors()).toMatchObject({
      type: "query_error",
      id: "c",
      errorType: "execution",
      error: "a viewer's live queries hold at most 8192 expression characters in all",
    });
    send("b", "sum(");
    await sleep(600);
    socket.socket.send(JSON.stringify({ type: "unquery", id: "b" }));
    await sleep(600);
    for (let i = 0; i < 10; i++) {
      send(`q${i}`, `vector(${i})`);
      await sleep(510);
    }
    // "a" and q0…q8 are 10; "b" was replaced by a bad expression, which ended (and its unquery ends nothing).
    expect(await errors()).toMatchObject({ id: "b", errorType: "bad_data" });
    expect(await errors()).toMatchObject({
      id: "q9",
      errorType: "execution",
      error: "a viewer holds at most 10 live queries",
    });
    socket.close();
  }, 15_000);
});

describe("live PromQL limits of one hub or relay", () => {
  it(`serves at most ${LIVE_QUERY_LIMITS.subscriptionsPerObject} subscriptions and ${LIVE_QUERY_LIMITS.perObject} evaluations`, async () => {
    const live = new LiveQueries({ shards: async () => [], labelsOf: () => undefined, beforeStep: () => {} });
    const got = new Map<string, EncodedEvent>();
    const watcher = (id: string) => new Watcher(id, (w, event) => got.set(w.id, event));
    // History from a step not final yet: nothing to read, so this tests the caps and not the engine.
    const start = Math.ceil((Date.now() + 60_000) / 1000) * 1000;
    const watchers: Watcher[] = [];
    for (let i = 0; i <= LIVE_QUERY_LIMITS.perObject; i++) {
      watchers.push(watcher(`e${i}`));
      await live.subscribe(watchers.at(-1)!, { expr: `vector(${i})`, stepMs: 1000, start });
    }
    expect(got.get(`e${LIVE_QUERY_LIMITS.perObject}`)).toMatchObject({ kind: "error" });
    expect(got.get(`e${LIVE_QUERY_LIMITS.perObject}`)!.tail).toContain("evaluates at most 64 live queries");
    expect(live.counts).toEqual({ evaluations: 64, subscriptions: 64 });
    const room = LIVE_QUERY_LIMITS.subscriptionsPerObject - 64;
    for (let i = 0; i <= room; i++) {
      watchers.push(watcher(`s${i}`));
      await live.subscribe(watchers.at(-1)!, { expr: "vector(0)", stepMs: 1000, start });
    }
    expect(got.get(`s${room - 1}`)).toMatchObject({ kind: "history" });
    expect(got.get(`s${room}`)!.tail).toContain("serves at most 4000 live query subscriptions");
    expect(live.counts).toEqual({ evaluations: 64, subscriptions: 4000 });
    for (const w of watchers) live.unsubscribe(w);
    expect(live.counts).toEqual({ evaluations: 0, subscriptions: 0 });
  });
});
