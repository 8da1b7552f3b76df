/**
 * The device client's delivery rules, against a local HTTP server scripted to fail the way networks and servers
 * do (the crash test runs the client against a real Worker killed with SIGKILL).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { backoffDelay, EdgepulseClient, type RejectedBatch, retryAfterMs } from "../../client/src/index.ts";

interface Received {
  key: string;
  device?: string;
  points: Array<{ metric: string; value: number; ts: number }>;
}

type Reply = (response: ServerResponse) => void;

/** A server that answers each request with the next scripted reply (202 once the script runs out). */
async function scriptedServer(
  script: Reply[],
): Promise<{ url: string; received: Received[]; server: Server }> {
  const received: Received[] = [];
  const server = createServer((request: IncomingMessage, response) => {
    let body = "";
    request.on("data", (chunk) => {
      body += chunk;
    });
    request.on("end", () => {
      received.push({ key: String(request.headers["idempotency-key"]), ...JSON.parse(body) });
      const reply = script.shift() ?? ((r: ServerResponse) => r.writeHead(202).end('{"accepted":1,"seq":1}'));
      reply(response);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  servers.push(server);
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, received, server };
}

const servers: Server[] = [];
afterEach(() => {
  for (const server of servers.splice(0)) server.close();
});

const status =
  (code: number, headers: Record<string, string> = {}, body = ""): Reply =>
  (response) =>
    response.writeHead(code, headers).end(body);
/** Closes the connection without answering, as a dying server does. */
const hangUp: Reply = (response) => response.socket?.destroy();
const fast = { retryInitialMs: 5, retryMaxMs: 20 };

async function until(condition: () => boolean): Promise<void> {
  const deadline = Date.now() + 5_000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

describe("device client", () => {
  it("sends a full batch at once, and holds the rest until the flush interval or a flush", async () => {
    const { url, received } = await scriptedServer([]);
    const client = new EdgepulseClient({ url, token: "t", maxBatchPoints: 3, flushIntervalMs: 60_000 });
    for (let i = 0; i < 4; i++) client.record("m", i);
    await until(() => received.length === 1);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(received.map((r) => r.points.length)).toEqual([3]);
    await client.close();
    expect(received.map((r) => r.points.length)).toEqual([3, 1]);
    expect(client.stats).toEqual({ delivered: 4, retries: 0, dropped: 0, rejected: 0 });
  });

  it("sends a partial batch once its oldest point is flushIntervalMs old", async () => {
    const { url, received } = await scriptedServer([]);
    const client = new EdgepulseClient({ url, token: "t", flushIntervalMs: 80 });
    const started = Date.now();
    client.record("m", 1);
    await until(() => received.length === 1);
    expect(Date.now() - started).toBeGreaterThanOrEqual(80);
    await client.close();
  });

  it("retries network errors, 5xx and 429 with the same Idempotency-Key and the points' own timestamps", async () => {
    const { url, received } = await scriptedServer([
      hangUp,
      status(503),
      status(429, { "retry-after": "0" }),
    ]);
    const client = new EdgepulseClient({ url, token: "t", ...fast });
    client.record("temp", 21.5, { labels: { room: "lab" } });
    await client.flush();
    expect(received).toHaveLength(4);
    expect(new Set(received.map((r) => r.key)).size).toBe(1);
    expect(new Set(received.map((r) => r.points[0]!.ts)).size).toBe(1);
    expect(received[0]!.points[0]).toMatchObject({ metric: "temp", value: 21.5, labels: { room: "lab" } });
    expect(client.stats).toMatchObject({ delivered: 1, retries: 3 });
  });

  it("waits at least as long as Retry-After says", async () => {
    const { url } = await scriptedServer([status(429, { "retry-after": "1" })]);
    const client = new EdgepulseClient({ url, token: "t", ...fast });
    client.record("m", 1);
    const started = Date.now();
    await client.flush();
    expect(Date.now() - started).toBeGreaterThanOrEqual(1000);
  });

  it("drops a batch the server refuses for good, and says why", async () => {
    const error = { code: "invalid_metric", message: "metric must match …", path: "points[0].metric" };
    const { url } = await scriptedServer([status(400, {}, JSON.stringify({ error }))]);
    const refused: RejectedBatch[] = [];
    const client = new EdgepulseClient({ url, token: "t", onRejected: (problem) => refused.push(problem) });
    client.record("9bad", 1);
    await client.flush();
    expect(refused).toEqual([{ status: 400, error, points: 1 }]);
    expect(client.stats).toMatchObject({ delivered: 0, rejected: 1, retries: 0 });
  });

  it("splits a batch the server finds too large", async () => {
    const { url, received } = await scriptedServer([status(413)]);
    const client = new EdgepulseClient({ url, token: "t", maxBatchPoints: 10 });
    for (let i = 0; i < 10; i++) client.record("m", i);
    await client.flush();
    expect(received.map((r) => r.points.length)).toEqual([10, 5, 5]);
    expect(client.stats.delivered).toBe(10);
  });

  it("keeps at most maxQueuedPoints while the server is away, dropping the oldest, and names the device for a gateway", async () => {
    const { url, received } = await scriptedServer(Array(3).fill(status(503)));
    const client = new EdgepulseClient({
      url,
      token: "t",
      device: "host-9",
      maxQueuedPoints: 5,
      maxBatchPoints: 100,
      ...fast,
    });
    for (let i = 0; i < 8; i++) client.record("m", i);
    await client.flush();
    expect(received.at(-1)).toMatchObject({ device: "host-9" });
    expect(received.at(-1)!.points.map((p) => p.value)).toEqual([3, 4, 5, 6, 7]);
    expect(client.stats).toMatchObject({ delivered: 5, dropped: 3 });
  });

  it("gives up on close after its timeout, counting what was left as dropped", async () => {
    const { url } = await scriptedServer(Array(1000).fill(status(503)));
    const client = new EdgepulseClient({ url, token: "t", retryInitialMs: 50, retryMaxMs: 50 });
    client.record("m", 1);
    client.record("m", 2);
    const started = Date.now();
    await client.close(200);
    expect(Date.now() - started).toBeLessThan(1000);
    expect(client.stats).toMatchObject({ delivered: 0, dropped: 2 });
    expect(() => client.record("m", 3)).toThrow(/closed/);
  });

  it("backs off exponentially with full jitter, capped, and reads Retry-After as seconds or a date", () => {
    expect([0, 1, 2, 3, 10].map((attempt) => backoffDelay(attempt, 500, 30_000, () => 1))).toEqual([
      500, 1000, 2000, 4000, 30_000,
    ]);
    expect(backoffDelay(3, 500, 30_000, () => 0)).toBe(0);
    expect(retryAfterMs("7")).toBe(7000);
    expect(retryAfterMs(new Date(10_000).toUTCString(), 4000)).toBe(6000);
    expect(retryAfterMs("soon")).toBeNull();
    expect(retryAfterMs(null)).toBeNull();
  });
});
