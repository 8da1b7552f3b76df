/**
 * Hostile clients against `wrangler dev`, from outside as they come: raw TCP bytes (broken chunked framing, empty
 * Origin headers, connections reset under SSE streams), real WebSocket clients (a viewer that never acks, a Close
 * handshake), and credentials where they do not belong. One server for the file, with a small unacknowledged-bytes
 * budget and device rate so the limits are reached quickly.
 */

import { connect, type Socket } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type EdgeServer, rawHttp, rawWebSocket, startEdgeServer } from "./edge-server.ts";

const MAX_UNACKED_BYTES = 65_536;
const DEVICE_REQUESTS_PER_10S = 100;
let server: EdgeServer;

beforeAll(async () => {
  server = await startEdgeServer({
    LIVE_MAX_UNACKED_BYTES: String(MAX_UNACKED_BYTES),
    DEVICE_REQUESTS_PER_10S: String(DEVICE_REQUESTS_PER_10S),
  });
});

afterAll(async () => {
  await server?.stop();
});

const proxyPort = () => Number(new URL(server.url).port);
const freshBoard = () => `edge-${crypto.randomUUID().slice(0, 8)}`;
const json = { "content-type": "application/json" };

function post(token: string, body: unknown, path = "/api/v1/ingest"): Promise<Response> {
  return fetch(`${server.url}${path}`, {
    method: "POST",
    headers: { authorization: `Bearer ${token}`, ...json },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
}

async function errorOf(response: Response): Promise<{ status: number; code: string; path?: string }> {
  const body = (await response.json()) as { error: { code: string; path?: string } };
  return { status: response.status, ...body.error };
}

/** The status line and JSON body of a raw HTTP/1.1 answer. */
function parseRaw(answer: string): { status: number; body: string } {
  const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(answer)?.[1] ?? 0);
  return { status, body: answer.slice(answer.indexOf("\r\n\r\n") + 4) };
}

/** A WebSocket opening handshake for a board's live socket (`query` added to its URL), with more headers. */
function upgradeRequest(board: string, query: string, headers: string[]): string {
  return [
    `GET /api/v1/boards/${board}/live${query} HTTP/1.1`,
    "Host: 127.0.0.1",
    "Upgrade: websocket",
    "Connection: Upgrade",
    "Sec-WebSocket-Version: 13",
    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==",
    ...headers,
    "",
    "",
  ].join("\r\n");
}

/** Opens a live socket with a real client; resolves once it is greeted (hello and snapshot). */
async function openViewer(board: string, token: string, url = server.url) {
  const socket = new WebSocket(`${url.replace(/^http/, "ws")}/api/v1/boards/${board}/live`, [
    "edgepulse.v2",
    `bearer.${token}`,
  ]);
  socket.binaryType = "arraybuffer";
  const viewer = { socket, frames: 0, frameBytes: 0, closed: null as CloseEvent | null };
  socket.addEventListener("message", (event) => {
    if (typeof event.data === "string") return;
    viewer.frames++;
    viewer.frameBytes += (event.data as ArrayBuffer).byteLength;
  });
  socket.addEventListener("close", (event) => {
    viewer.closed = event;
  });
  await new Promise<void>((resolve, reject) => {
    socket.addEventListener("message", function greeted(event) {
      if (typeof event.data === "string" && JSON.parse(event.data).type === "snapshot") {
        socket.removeEventListener("message", greeted);
        resolve();
      }
    });
    socket.addEventListener("close", (event) => reject(new Error(`closed ${event.code}`)));
  });
  return viewer;
}

async function eventually(check: () => boolean | Promise<boolean>, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return true;
    await sleep(50);
  }
  return check();
}

describe("refused credentials from a shared address", () => {
  it("cut a device retrying a corrupted token, and still let every valid token from that address in", async () => {
    const board = freshBoard();
    const broken = await server.mint({ kind: "device", board, device: "broken" });
    const corrupted = `${broken.slice(0, -3)}${broken.endsWith("AAA") ? "BBB" : "AAA"}`;
    const statuses: number[] = [];
    for (let i = 0; i < 55; i++) statuses.push((await post(corrupted, { metrics: { m: 1 } })).status);
    expect(statuses.slice(0, 50).every((status) => status === 401)).toBe(true);
    expect(statuses.slice(50).every((status) => status === 429)).toBe(true);
    // Its neighbours behind the same NAT, with tokens this server has never seen, and its own valid token.
    const neighbours = await Promise.all(
      Array.from({ length: 10 }, (_, i) => server.mint({ kind: "device", board, device: `n${i}` })),
    );
    for (const token of [...neighbours, broken])
      expect((await post(token, { metrics: { m: 1 } })).status).toBe(202);
    expect((await errorOf(await post(corrupted, { metrics: { m: 1 } }))).code).toBe("too_many_failures");
  });
});

describe("credentials in URLs", () => {
  it("take only 60-second tickets from ?ticket=, and never an ingest credential", async () => {
    const board = freshBoard();
    const device = await server.mint({ kind: "device", board, device: "d" });
    const viewer = await server.mint({ kind: "viewer", board });
    const ingest = await fetch(`${server.url}/api/v1/ingest?ticket=${device}`, {
      method: "POST",
      headers: json,
      body: JSON.stringify({ metrics: { m: 1 } }),
    });
    expect(await errorOf(ingest)).toMatchObject({ status: 401, code: "wrong_token_kind" });
    const series = await fetch(`${server.url}/api/v1/boards/${board}/series?ticket=${viewer}`);
    expect(await errorOf(series)).toMatchObject({ status: 401, code: "wrong_token_kind" });
    const live = parseRaw(await rawHttp(proxyPort(), upgradeRequest(board, `?ticket=${viewer}`, [])));
    expect(live.status).toBe(401);
    expect(live.body).toContain("wrong_token_kind");
    const minted = await fetch(`${server.url}/api/v1/boards/${board}/tickets`, {
      method: "POST",
      headers: { authorization: `Bearer ${viewer}` },
    });
    const { ticket } = (await minted.json()) as { ticket: string };
    expect((await fetch(`${server.url}/api/v1/boards/${board}/series?ticket=${ticket}`)).status).toBe(200);
  });
});

describe("broken chunked framing", () => {
  it("answers 400 invalid_body, from workerd's own socket", async () => {
    const token = await server.mint({ kind: "device", board: freshBoard(), device: "d" });
    for (const size of ["zz", "ffffffffffffffffff"]) {
      const request = [
        "POST /api/v1/ingest HTTP/1.1",
        "Host: 127.0.0.1",
        `Authorization: Bearer ${token}`,
        "Content-Type: application/json",
        "Transfer-Encoding: chunked",
        "",
        `${size}`,
        '{"metrics":{"m":1}}',
        "0",
        "",
        "",
      ].join("\r\n");
      const answer = parseRaw(await rawHttp(server.workerdPort, request));
      expect(answer.status, size).toBe(400);
      expect(JSON.parse(answer.body).error).toMatchObject({ code: "invalid_body", path: "body" });
    }
  });
});

describe("Origin on live upgrades", () => {
  it("refuses an opaque or foreign Origin with 403; an empty or blank one arrives as none (workerd drops it)", async () => {
    const board = freshBoard();
    const viewer = await server.mint({ kind: "viewer", board });
    const status = async (origin: string) => {
      const headers = [origin, `Sec-WebSocket-Protocol: edgepulse.v2, bearer.${viewer}`];
      return parseRaw(await rawHttp(proxyPort(), upgradeRequest(board, "", headers))).status;
    };
    for (const origin of ["Origin: null", "Origin: https://evil.example", "Origin: http://127.0.0.1.evil"])
      expect(await status(origin), origin).toBe(403);
    // workerd removes empty header values before the Worker runs: such a request is one without Origin, as
    // non-browser clients send (browsers always send one). An empty value that did arrive matches nothing
    // (test/node/origin-check.test.ts).
    for (const origin of ["Origin:", "Origin:    "]) expect(await status(origin), origin).toBe(101);
  });
});

describe("the close handshake", () => {
  it("answers a client's Close, through wrangler's proxy and straight from workerd", async () => {
    const board = freshBoard();
    const token = await server.mint({ kind: "viewer", board });
    for (const url of [server.url, `http://127.0.0.1:${server.workerdPort}`]) {
      const viewer = await openViewer(board, token, url);
      const began = Date.now();
      viewer.socket.close(1000, "leaving");
      expect(await eventually(() => viewer.closed !== null, 3_000), url).toBe(true);
      expect(viewer.closed).toMatchObject({ code: 1000, wasClean: true });
      expect(Date.now() - began).toBeLessThan(3_000);
    }
  });
});

describe("SSE streams whose connection is reset", () => {
  /** Opens SSE streams on raw sockets, resolving once each is greeted. */
  const openStreams = (port: number, board: string, token: string) =>
    Promise.all(
      Array.from(
        { length: 4 },
        () =>
          new Promise<Socket>((resolve, reject) => {
            const request = `GET /api/v1/boards/${board}/events HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${token}\r\n\r\n`;
            const socket = connect(port, "127.0.0.1", () => socket.write(request));
            socket.setEncoding("utf8");
            let seen = "";
            socket.on("data", (chunk: string) => {
              seen += chunk;
              if (seen.includes('"type":"snapshot"')) resolve(socket);
            });
            socket.on("error", reject);
          }),
      ),
    );
  const fifth = async (url: string, board: string, token: string) => {
    const response = await fetch(`${url}/api/v1/boards/${board}/events`, {
      headers: { authorization: `Bearer ${token}` },
    });
    await response.body?.cancel();
    return response.status;
  };

  it("give their slot back: a fifth stream of the same credential gets in at once", async () => {
    const board = freshBoard();
    const viewer = await server.mint({ kind: "viewer", board });
    // Straight to workerd the reset cancels the stream, which frees its slot.
    const direct = `http://127.0.0.1:${server.workerdPort}`;
    for (const socket of await openStreams(server.workerdPort, board, viewer)) socket.resetAndDestroy();
    const sse = async () => {
      const stats = await fetch(`${direct}/api/v1/boards/${board}/stats`, {
        headers: { authorization: `Bearer ${viewer}` },
      });
      return ((await stats.json()) as { viewers: { sse: number } }).viewers.sse;
    };
    expect(await eventually(async () => (await sse()) === 0, 2_000)).toBe(true);
    expect(await fifth(direct, board, viewer)).toBe(200);
    // wrangler's proxy keeps a reset client's stream open until it writes to it: the credential's fifth stream
    // makes the hub write to its others, and gets the slot one of them gave back.
    const other = freshBoard();
    const token = await server.mint({ kind: "viewer", board: other });
    for (const socket of await openStreams(proxyPort(), other, token)) socket.resetAndDestroy();
    expect(await fifth(server.url, other, token)).toBe(200);
  });
});

describe("unacknowledged frames", () => {
  it("close a viewer that never acks at the budget, like one that acks and lags, and spare one that acks", async () => {
    const board = freshBoard();
    const token = await server.mint({ kind: "viewer", board });
    // A raw client that never acks (nor sends anything) and reads only to see what the server sends.
    const silent = await rawWebSocket(proxyPort(), `/api/v1/boards/${board}/live`, [
      "edgepulse.v2",
      `bearer.${token}`,
    ]);
    const acking = await openViewer(board, token);
    acking.socket.addEventListener("message", (event) => {
      if (typeof event.data !== "string")
        acking.socket.send(JSON.stringify({ type: "ack", frames: acking.frames }));
    });
    const device = await server.mint({ kind: "device", board, device: "d" });
    // About 10 KB of frames a post (random values travel as f64): the silent viewer passes 64 KiB within 7 posts,
    // the acking one gets all 16 posts' frames.
    const points = Array.from({ length: 1000 }, (_, i) => ({ metric: `m${i % 10}`, value: Math.random() }));
    for (let i = 0; i < 16; i++) {
      expect((await post(device, { points })).status).toBe(202);
      await sleep(20);
    }
    expect(await eventually(() => silent.closeCode !== null, 3_000), `${silent.frameBytes} bytes`).toBe(true);
    expect(silent.closeCode).toBe(1013);
    expect(silent.frameBytes).toBeLessThanOrEqual(MAX_UNACKED_BYTES);
    expect(acking.frameBytes).toBeGreaterThan(2 * MAX_UNACKED_BYTES);
    expect(acking.closed).toBeNull();
    silent.socket.destroy();
    acking.socket.close(1000);
  });
});

describe("error bodies", () => {
  it("repeat at most 64 characters of input in a path", async () => {
    const device = await server.mint({ kind: "device", board: freshBoard(), device: "d" });
    const bodies = [
      { metrics: { m: 1 }, ["y".repeat(10_000)]: 1 },
      { points: [{ metric: "m", value: 1, ["z".repeat(100)]: 1 }] },
    ];
    for (const body of bodies) {
      const error = await errorOf(await post(device, body));
      expect(error.code).toBe("unknown_field");
      expect(error.path?.replace(/…$/, "").length).toBeLessThanOrEqual(64);
    }
  });
});

describe("invalid requests from a valid credential", () => {
  it("count against its rate, ten each: past it, 429 before the body is read, and other devices go on", async () => {
    const board = freshBoard();
    const device = await server.mint({ kind: "device", board, device: "sloppy" });
    // Nearly 1 MiB that parses and then fails validation.
    const invalid = JSON.stringify({ metrics: { m: 1 }, padding: "x".repeat(1_000_000) });
    const statuses: number[] = [];
    for (let i = 0; i < 3 * (DEVICE_REQUESTS_PER_10S / 10) && !statuses.includes(429); i++)
      statuses.push((await post(device, invalid)).status);
    expect(statuses.filter((status) => status === 400).length).toBeGreaterThanOrEqual(
      DEVICE_REQUESTS_PER_10S / 10,
    );
    expect(statuses.at(-1)).toBe(429);
    const valid = await post(device, { metrics: { m: 1 } });
    expect(await errorOf(valid)).toMatchObject({ status: 429, code: "rate_limited" });
    expect(Number(valid.headers.get("retry-after"))).toBeGreaterThan(0);
    const other = await server.mint({ kind: "device", board, device: "careful" });
    expect((await post(other, { metrics: { m: 1 } })).status).toBe(202);
  });
});

describe("a viewer sending huge messages or pings", () => {
  it("are cut at the first huge message (1009), and cost the other viewers of the board no frames", async () => {
    const board = freshBoard();
    const token = await server.mint({ kind: "viewer", board });
    const calm = await openViewer(board, token);
    const arrivals: number[] = [];
    calm.socket.addEventListener("message", (event) => {
      if (typeof event.data !== "string") arrivals.push(Date.now());
    });
    const flooder = await openViewer(board, token);
    const device = await server.mint({ kind: "device", board, device: "d" });
    const huge = `{"type":"subscribe","series":["${"x".repeat(10_000_000)}"]}`;
    const began = Date.now();
    const posted: number[] = [];
    const posting = (async () => {
      while (Date.now() - began < 3_000) {
        await post(device, { metrics: { m: Math.random() } });
        posted.push(Date.now());
        await sleep(100);
      }
    })();
    // One at a time, as fast as the connection takes them, until the server closes it.
    let sent = 0;
    const flooding = (async () => {
      for (let i = 0; i < 20 && !flooder.closed; i++) {
        flooder.socket.send(huge);
        while (flooder.socket.bufferedAmount > 0 && !flooder.closed) await sleep(5);
        sent++;
      }
    })();
    const pinging = (async () => {
      while (Date.now() - began < 2_500) {
        for (let i = 0; i < 100 && !flooder.closed; i++) flooder.socket.send("ping");
        await sleep(100);
      }
    })();
    await Promise.all([posting, pinging, flooding]);
    const gapsOf = (times: number[]) => times.slice(1).map((at, i) => at - times[i]!);
    const gaps = gapsOf(arrivals);
    // Frames follow the posts (however slow the machine makes those), not the flooder.
    expect(arrivals.length, `${sent} sent, flooder ${flooder.closed?.code}`).toBeGreaterThanOrEqual(
      posted.length / 2,
    );
    expect(Math.max(...gaps), `frame gaps ${gaps.join(",")}`).toBeLessThan(Math.max(...gapsOf(posted)) + 500);
    expect(calm.closed).toBeNull();
    // The flooder was cut at its first huge message, not answered an error for each.
    expect(await eventually(() => flooder.closed !== null, 5_000)).toBe(true);
    expect(flooder.closed?.code).toBe(1009);
    calm.socket.close(1000);
  });
});

describe("a poll retry storm", () => {
  it("is refused by the Worker 1 to 2 s after each ask, spread over that second, its replays spaced, while another device's posts go on", async () => {
    const board = freshBoard();
    const viewer = await server.mint({ kind: "viewer", board });
    const headers = { authorization: `Bearer ${viewer}` };
    const first = await fetch(`${server.url}/api/v1/boards/${board}/poll`, { headers });
    const { positions } = (await first.json()) as {
      positions: Array<{ sid: number; epoch: number; seq: number }>;
    };
    const pos = positions.map(({ sid, epoch, seq }) => `${sid}.${epoch}.${seq}`).join("_");
    const url = `${server.url}/api/v1/boards/${board}/poll?pos=${pos}&wait=25000`;
    const refusals: number[] = [];
    let answers = 0;
    const began = Date.now();
    const loops = Array.from({ length: 40 }, async () => {
      while (Date.now() - began < 3_000) {
        const asked = Date.now();
        const response = await fetch(url, { headers, signal: AbortSignal.timeout(5_000) }).catch(() => null);
        if (response?.status === 429) refusals.push(Date.now() - asked);
        if (response?.status === 200) answers++;
        await response?.body?.cancel();
      }
    });
    const device = await server.mint({ kind: "device", board, device: "d" });
    const posts: number[] = [];
    while (Date.now() - began < 3_000) {
      posts.push((await post(device, { metrics: { m: 1 } })).status);
      await sleep(100);
    }
    await Promise.all(loops);
    const elapsedSeconds = (Date.now() - began) / 1000;
    expect(posts.every((status) => status === 202)).toBe(true);
    // 36 loops refused, each asking again at once: about 3 asks each in 3 s, not as many as the Worker can answer.
    expect(refusals.length).toBeGreaterThan(0);
    expect(refusals.length).toBeLessThanOrEqual(40 * 4);
    expect(Math.min(...refusals)).toBeGreaterThanOrEqual(900);
    // Spread, not one wave: loops started together come back apart (a fixed delay keeps them in step forever).
    const sorted = refusals.toSorted((a, b) => a - b);
    const quartile = (q: number) => sorted[Math.floor(q * (sorted.length - 1))]!;
    expect(quartile(0.75) - quartile(0.25), `refused after ${sorted.join(",")} ms`).toBeGreaterThanOrEqual(
      250,
    );
    expect(quartile(0.5)).toBeLessThan(2_100);
    // The 4 polls let in ask from a position the posts left behind, so each is answered at once with a replay:
    // at most 4 served a second for the credential.
    expect(answers).toBeGreaterThan(0);
    expect(answers).toBeLessThanOrEqual(4 * elapsedSeconds + 1);
  });
});
