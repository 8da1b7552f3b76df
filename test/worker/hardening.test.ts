import { describe, expect, it } from "vitest";
import { formatPosition } from "../../worker/protocol/index.ts";
import { answer, connect, freshBoard, handshake, ingest, request, token } from "./helpers.ts";

const auth = (credential: string, extra: Record<string, string> = {}) => ({
  headers: { authorization: `Bearer ${credential}`, ...extra },
});
const stats = async (board: string) =>
  (await answer(request(`/api/v1/boards/${board}/stats`, auth(await token("viewer", board))))).body;

/** A viewer credential with its 4 polls waiting (3 s) on a fresh board, and the query they wait with. */
async function pollerAtCap() {
  const board = freshBoard();
  const poller = await token("viewer", board);
  const { body } = await answer(request(`/api/v1/boards/${board}/poll`, auth(poller)));
  const after = `pos=${formatPosition(body.positions)}&wait=3000`;
  const waiting = Array.from({ length: 4 }, () =>
    request(`/api/v1/boards/${board}/poll?${after}`, auth(poller)),
  );
  await new Promise((resolve) => setTimeout(resolve, 100));
  return { board, poller, after, waiting };
}

describe("live selectors", () => {
  it("answers 400, not 500, to URL selectors past the count or the total length", async () => {
    const board = freshBoard();
    const viewer = await token("viewer", board);
    const many = Array.from({ length: 33 }, (_, i) => `series=d:m${i}`).join("&");
    const long = Array.from({ length: 10 }, (_, i) => `series=d${i}:${"m".repeat(500)}`).join("&");
    for (const query of [many, long]) {
      const response = await answer(
        request(`/api/v1/boards/${board}/live?${query}`, auth(viewer, handshake())),
      );
      expect(response.status).toBe(400);
      expect(response.body.error.code).toBe("too_many_series");
    }
  });

  it("refuses a subscribe message past the selectors' total length and keeps the socket", async () => {
    const board = freshBoard();
    const viewer = await connect(board, await token("viewer", board));
    await viewer.nextMessage("hello");
    await viewer.nextMessage("snapshot");
    const series = Array.from({ length: 32 }, (_, i) => `d${i}:${"m".repeat(500)}`);
    viewer.socket.send(JSON.stringify({ type: "subscribe", series }));
    expect(await viewer.nextMessage("error")).toMatchObject({ code: "bad_message" });
    viewer.socket.send(JSON.stringify({ type: "subscribe", series: ["d:m"] }));
    expect(await viewer.nextMessage("snapshot")).toMatchObject({ series: [] });
    viewer.close();
  });
});

describe("viewer budgets", () => {
  it("closes a socket that floods subscribe messages with 1008, and spares another viewer", async () => {
    const board = freshBoard();
    const viewerToken = await token("viewer", board);
    const flooder = await connect(board, viewerToken);
    const calm = await connect(board, viewerToken);
    for (const viewer of [flooder, calm]) {
      await viewer.nextMessage("hello");
      await viewer.nextMessage("snapshot");
    }
    for (let i = 0; i < 100; i++) flooder.socket.send(JSON.stringify({ type: "subscribe", series: ["*"] }));
    const deadline = Date.now() + 3000;
    while (!flooder.closed && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
    expect(flooder.closed?.code).toBe(1008);
    expect((await ingest(await token("device", board, "d"), { metrics: { m: 1 } })).status).toBe(202);
    expect(await calm.nextMessage("series")).toBeTruthy();
    expect(calm.closed).toBeNull();
    calm.close();
  });

  it("answers HEAD on streams and polls without opening or counting anything", async () => {
    const board = freshBoard();
    const viewer = await token("viewer", board);
    for (const path of ["events", "poll"]) {
      const response = await request(`/api/v1/boards/${board}/${path}`, { method: "HEAD", ...auth(viewer) });
      expect(response.status).toBe(200);
      expect(await response.text()).toBe("");
    }
    expect((await stats(board)).viewers).toEqual({ websocket: 0, sse: 0, poll: 0 });
  });

  it("caps streams and waiting polls per credential with 429 and Retry-After", async () => {
    const board = freshBoard();
    const viewer = await token("viewer", board);
    const streams: Response[] = [];
    for (let i = 0; i < 4; i++) {
      const response = await request(`/api/v1/boards/${board}/events`, auth(viewer));
      expect(response.status).toBe(200);
      streams.push(response);
    }
    const fifth = await answer(request(`/api/v1/boards/${board}/events`, auth(viewer)));
    expect(fifth.status).toBe(429);
    expect(fifth.body.error.code).toBe("too_many_streams");
    const another = await token("viewer", board, undefined, Math.floor(Date.now() / 1000) + 600);
    expect((await request(`/api/v1/boards/${board}/events`, auth(another))).status).toBe(200);
    for (const stream of streams) await stream.body?.cancel();
    // Until its Retry-After the capped credential is refused by the Worker itself, whatever it asks for.
    expect((await request(`/api/v1/boards/${board}/poll`, auth(viewer))).status).toBe(429);

    const poller = await token("viewer", board, undefined, Math.floor(Date.now() / 1000) + 700);
    const { body } = await answer(request(`/api/v1/boards/${board}/poll`, auth(poller)));
    const after = `pos=${formatPosition(body.positions)}&wait=2000`;
    const waiting = Array.from({ length: 4 }, () =>
      request(`/api/v1/boards/${board}/poll?${after}`, auth(poller)),
    );
    await new Promise((resolve) => setTimeout(resolve, 100));
    const fifthPoll = await request(`/api/v1/boards/${board}/poll?${after}`, auth(poller));
    expect(fifthPoll.status).toBe(429);
    expect(fifthPoll.headers.get("retry-after")).toBeTruthy();
    for (const poll of await Promise.all(waiting)) expect(poll.status).toBe(200);
  }, 20_000);

  it("refuses a credential at its cap before reading the rest of its request, and checks everyone else's", async () => {
    const { board, poller, waiting } = await pollerAtCap();
    // Its slots were taken with this very token: whatever else it asks, it is refused unread.
    const unread = await answer(request(`/api/v1/boards/${board}/poll?pos=nonsense`, auth(poller)));
    expect(unread.status).toBe(429);
    expect(unread.body.error.code).toBe("too_many_polls");
    const other = await token("viewer", board, undefined, Math.floor(Date.now() / 1000) + 600);
    const checked = await answer(request(`/api/v1/boards/${board}/poll?pos=nonsense`, auth(other)));
    expect(checked.status).toBe(400);
    expect(checked.body.error.code).toBe("invalid_position");
    for (const poll of await Promise.all(waiting)) expect(poll.status).toBe(200);
  }, 20_000);

  it("tells polls refused together to come back at different times", async () => {
    const { board, poller, after, waiting } = await pollerAtCap();
    const refused = await Promise.all(
      Array.from({ length: 12 }, () => request(`/api/v1/boards/${board}/poll?${after}`, auth(poller))),
    );
    expect(refused.map((response) => response.status)).toEqual(Array(12).fill(429));
    const retryAfter = refused.map((response) => Number(response.headers.get("retry-after")));
    expect(Math.min(...retryAfter)).toBeGreaterThanOrEqual(5);
    // Up to 4 s of jitter: twelve loops refused at once are not all sent back for the same second.
    expect(new Set(retryAfter).size).toBeGreaterThan(1);
    for (const poll of await Promise.all(waiting)) expect(poll.status).toBe(200);
  }, 20_000);

  it("answers a poll from far behind with a snapshot instead of replaying everything", async () => {
    const board = freshBoard();
    const viewer = await token("viewer", board);
    const device = await token("device", board, "d");
    const { body: first } = await answer(request(`/api/v1/boards/${board}/poll`, auth(viewer)));
    const now = Date.now();
    for (let batch = 0; batch < 3; batch++) {
      const points = Array.from({ length: 8_000 }, (_, i) => ({
        metric: "m",
        value: i,
        ts: now - batch * 8_000 - i,
      }));
      expect((await ingest(device, { points })).status).toBe(202);
    }
    const behind = await answer(
      request(`/api/v1/boards/${board}/poll?pos=${formatPosition(first.positions)}`, auth(viewer)),
    );
    expect(behind.body.frames).toEqual([]);
    expect(behind.body.messages.map((m: { type: string }) => m.type)).toEqual(["reset", "snapshot"]);
  });
});

describe("WebSocket handshake (RFC 6455 §4.2.1)", () => {
  const attempt = async (change: Record<string, string | null>) => {
    const board = freshBoard();
    const headers: Record<string, string> = {
      ...handshake(),
      authorization: `Bearer ${await token("viewer", board)}`,
    };
    for (const [name, value] of Object.entries(change)) {
      if (value === null) delete headers[name];
      else headers[name] = value;
    }
    return answer(request(`/api/v1/boards/${board}/live`, { headers }));
  };

  it("refuses a missing Connection: Upgrade, a bad key and another version", async () => {
    expect((await attempt({ connection: null })).body.error).toMatchObject({
      code: "invalid_handshake",
      path: "connection",
    });
    expect((await attempt({ connection: "keep-alive" })).status).toBe(400);
    for (const key of ["", "abc", "A".repeat(200), "!!!!!!!!!!!!!!!!!!!!!!==", "AAAAAAAAAAAAAAAAAAAAAB=="])
      expect((await attempt({ "sec-websocket-key": key })).body.error.path, key).toBe("sec-websocket-key");
    const old = await attempt({ "sec-websocket-version": "8" });
    expect(old.status).toBe(426);
    expect((await attempt({ connection: "keep-alive, Upgrade" })).status).toBe(101);
  });
});

describe("responses", () => {
  it("carry security headers, errors included", async () => {
    for (const response of [await request("/api/v1/ingest", { method: "POST" }), await request("/nowhere")]) {
      expect(response.headers.get("content-security-policy")).toContain("default-src 'none'");
      expect(response.headers.get("x-content-type-options")).toBe("nosniff");
      expect(response.headers.get("x-frame-options")).toBe("DENY");
      expect(response.headers.get("referrer-policy")).toBe("no-referrer");
    }
  });

  it("repeat at most a bounded part of the input in an error", async () => {
    const device = await token("device", freshBoard(), "d");
    const name = "x".repeat(900_000);
    const response = await ingest(device, `{"metrics":{"${name}":1}}`);
    expect(response.status).toBe(400);
    expect((await response.text()).length).toBeLessThan(1_000);
    const unknown = await answer(ingest(device, { metrics: { m: 1 }, ["y".repeat(10_000)]: 1 }));
    expect(unknown.body.error.code).toBe("unknown_field");
    expect(JSON.stringify(unknown.body).length).toBeLessThan(1_000);
  });
});

describe("ingest and query input", () => {
  it("names unknown fields instead of ignoring them", async () => {
    const device = await token("device", freshBoard(), "d");
    const typo = await answer(ingest(device, { metrics: { m: 1 }, tss: 5 }));
    expect(typo.body.error).toMatchObject({ code: "unknown_field", path: "tss" });
    const inPoint = await answer(ingest(device, { points: [{ metric: "m", valu: 1 }] }));
    expect(inPoint.body.error).toMatchObject({ code: "unknown_field", path: "points[0].valu" });
  });

  it("takes a value past 1e200, as any finite float64 (see samples.test.ts)", async () => {
    const device = await token("device", freshBoard(), "d");
    expect((await answer(ingest(device, { metrics: { m: 1e308 } }))).status).toBe(202);
  });

  it("answers 400 to times and steps out of range", async () => {
    const board = freshBoard();
    const viewer = await token("viewer", board);
    const query = (params: string) =>
      answer(request(`/api/v1/boards/${board}/query?series=d:m&${params}`, auth(viewer)));
    expect((await query(`to=${"9".repeat(400)}`)).body.error.code).toBe("invalid_time");
    expect((await query("step=0.4ms")).body.error.code).toBe("invalid_duration");
    expect((await query("from=-99999d")).body.error.code).toBe("invalid_duration");
  });

  it("lets one device create at most SERIES_PER_DEVICE (1,000) series by default", async () => {
    const board = freshBoard();
    const device = await token("device", board, "greedy");
    const metrics = Object.fromEntries(Array.from({ length: 1001 }, (_, i) => [`m${i}`, i]));
    const refused = await answer(ingest(device, { metrics }));
    expect(refused.status).toBe(422);
    expect(refused.body.error.code).toBe("device_series_limit");
    expect((await stats(board)).series.count).toBe(0);
  });
});

describe("refused credentials", () => {
  it("cut an address that keeps failing before any signature is checked, and no one else", async () => {
    const board = freshBoard();
    const address = { "cf-connecting-ip": `203.0.113.${Math.floor(Math.random() * 250)}` };
    const good = await token("device", board, "d");
    const forged = `${good.slice(0, -4)}AAAA`;
    const post = (credential: string, headers: Record<string, string>) =>
      request("/api/v1/ingest", {
        method: "POST",
        headers: { authorization: `Bearer ${credential}`, "content-type": "application/json", ...headers },
        body: JSON.stringify({ metrics: { m: 1 } }),
      });
    for (let i = 0; i < 50; i++) expect((await post(forged, address)).status).toBe(401);
    const cut = await answer(post(forged, address));
    expect(cut.status).toBe(429);
    expect(cut.body.error.code).toBe("too_many_failures");
    expect((await post(good, { "cf-connecting-ip": "198.51.100.7" })).status).toBe(202);
  });
});

describe("reconnect storms", { timeout: 60_000 }, () => {
  it("let many dashboards behind one address reconnect at once, and cut one credential reconnecting in a loop", async () => {
    const board = freshBoard();
    const office = { "cf-connecting-ip": "192.0.2.10" };
    const now = Math.floor(Date.now() / 1000);
    const open = async (credential: string) => {
      const response = await request(`/api/v1/boards/${board}/live`, {
        headers: { ...handshake(), ...office, authorization: `Bearer ${credential}` },
      });
      response.webSocket?.accept();
      response.webSocket?.close(1000);
      return response.status;
    };
    // Each dashboard has its own ticket: 80 of them from one address all get in (more than the 60 a minute one
    // credential may open).
    const tickets = await Promise.all(
      Array.from({ length: 80 }, (_, i) => token("ticket", board, undefined, now + 60 + i)),
    );
    const statuses = [];
    for (const ticket of tickets) statuses.push(await open(ticket));
    expect(statuses.every((status) => status === 101)).toBe(true);
    // One credential reconnecting in a loop is refused past 60 a minute.
    const looping = await token("viewer", board, undefined, now + 999);
    const mine = [];
    for (let i = 0; i < 60; i++) mine.push(await open(looping));
    expect(mine.every((status) => status === 101)).toBe(true);
    // The limiter counts in fixed windows: within the next window's worth, it refuses.
    let next = await open(looping);
    for (let i = 0; i < 60 && next === 101; i++) next = await open(looping);
    expect(next).toBe(429);
  });
});

describe("close handshake (RFC 6455 §5.5.1)", () => {
  it("answers a viewer's Close with a Close frame carrying its code", async () => {
    const board = freshBoard();
    const viewer = await connect(board, await token("viewer", board));
    await viewer.nextMessage("hello");
    await viewer.nextMessage("snapshot");
    viewer.socket.close(1000, "leaving");
    const deadline = Date.now() + 3000;
    while (!viewer.closed && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
    expect(viewer.closed).toMatchObject({ code: 1000 });
  });
});
