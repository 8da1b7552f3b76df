/**
 * Live PromQL across `kill -9` of the runtime: an SSE stream and a live socket subscribed while a device posts, the
 * whole `wrangler dev` group killed and restarted on the same storage, the stream resumed with its `Last-Event-ID`
 * and the socket's subscriptions with `after`. Each continues at the next step (no gap, no repeat), and everything
 * either streamed equals `query_range` over the span at the end.
 */
import { randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { mintToken } from "../../scripts/mint-token.ts";
import { findFreePorts, waitForHttp } from "../../scripts/net.ts";
import { type GroupProcess, runGroup, startGroup } from "../../scripts/processes.ts";
import { DEV_HOST, REPO_ROOT, viteBuild, wranglerDev } from "../../scripts/tools.ts";
import { isLiveQueryAnswer, type LiveResult, SUBPROTOCOL } from "../../worker/protocol/index.ts";

const secret = randomBytes(32).toString("hex");
const board = `live-crash-${randomBytes(4).toString("hex")}`;
const stateDir = mkdtempSync(join(tmpdir(), "edgepulse-live-promql-"));
const output: string[] = [];
const EXPRESSIONS = ["rate(c[3s])", "sum(c)"];
let wrangler: GroupProcess | undefined;
let ports: [number, number] | undefined;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function start(): Promise<string> {
  // wrangler dev serves the dashboard's build as assets: it must exist.
  if (!existsSync(`${REPO_ROOT}/dashboard/dist`))
    await runGroup(viteBuild(), { output: (line) => output.push(line) });
  ports ??= (await findFreePorts(DEV_HOST, 2)) as [number, number];
  const [port, inspectorPort] = ports;
  const args = ["--inspector-port", String(inspectorPort), "--persist-to", stateDir];
  args.push("--var", `EDGEPULSE_SECRET:${secret}`);
  wrangler = startGroup(wranglerDev(port, args), { output: (line) => output.push(line) });
  const url = `http://${DEV_HOST}:${port}`;
  await waitForHttp(`${url}/api/v1/ingest`, 60_000, wrangler.exited);
  return url;
}

afterAll(async () => {
  await wrangler?.stop();
  rmSync(stateDir, { recursive: true, force: true });
});

/** Reads one SSE stream's events until `stop` says so (or the connection dies with the runtime). */
async function readStream(
  url: string,
  lastEventId: string | null,
  onEvent: (id: string | undefined, result: LiveResult) => boolean,
): Promise<void> {
  const viewer = await mintToken(secret, { kind: "viewer", board });
  const query = `${EXPRESSIONS.map((e) => `query=${encodeURIComponent(e)}`).join("&")}&step=1s`;
  const headers: Record<string, string> = { authorization: `Bearer ${viewer}` };
  if (lastEventId) headers["last-event-id"] = lastEventId;
  const response = await fetch(`${url}/api/v1/boards/${board}/prometheus/live?${query}`, { headers });
  expect(response.status).toBe(200);
  const reader = response.body!.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      buffer += decoder.decode(value, { stream: true });
      for (let end = buffer.indexOf("\n\n"); end >= 0; end = buffer.indexOf("\n\n")) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const field = (name: string) =>
          block
            .split("\n")
            .find((line) => line.startsWith(`${name}: `))
            ?.slice(name.length + 2);
        if (field("event") !== "result") continue;
        if (!onEvent(field("id"), JSON.parse(field("data")!) as LiveResult)) return;
      }
    }
  } catch {
    // The runtime was killed under the stream.
  } finally {
    reader.cancel().catch(() => {});
  }
}

/**
 * A live socket's subscriptions to EXPRESSIONS (ids "0", "1", …), resumed right after `after[i]` when given, acking
 * each answer, until `onResult` says stop or the connection dies with the runtime.
 */
async function readSocket(
  url: string,
  after: number[] | null,
  onResult: (result: LiveResult) => boolean,
): Promise<void> {
  const viewer = await mintToken(secret, { kind: "viewer", board });
  const socket = new WebSocket(`${url.replace(/^http/, "ws")}/api/v1/boards/${board}/live?series=none:none`, [
    SUBPROTOCOL,
    `bearer.${viewer}`,
  ]);
  let answers = 0;
  await new Promise<void>((resolve) => {
    socket.onopen = () => {
      for (const [i, expr] of EXPRESSIONS.entries()) {
        const resume = after ? { after: after[i] } : {};
        socket.send(JSON.stringify({ type: "query", id: String(i), expr, step: 1000, ...resume }));
      }
    };
    socket.onmessage = (event) => {
      if (typeof event.data !== "string" || !isLiveQueryAnswer(event.data)) return;
      answers++;
      socket.send(JSON.stringify({ type: "ack", frames: 0, results: answers }));
      const message = JSON.parse(event.data) as LiveResult & { type: string };
      expect(message.type, event.data).toBe("result");
      if (!onResult(message)) {
        socket.close();
        resolve();
      }
    };
    socket.onclose = () => resolve();
  });
}

/** What a client holds of each expression: per series and step, the value, corrections and resumes applied. */
class Held {
  readonly points = EXPRESSIONS.map(() => new Map<string, string>());
  readonly lastStep = EXPRESSIONS.map(() => Number.NEGATIVE_INFINITY);
  readonly resumedAt = EXPRESSIONS.map(() => Number.NaN);
  firstStart = Number.NaN;

  /** `repeats`: a resumed history may start before the next step (SSE: a subscription a step ahead of the id). */
  apply(result: LiveResult, repeats: boolean): void {
    const i = Number(result.id);
    const points = this.points[i]!;
    if (result.kind === "history" && Number.isNaN(this.firstStart)) this.firstStart = result.start;
    const resumed = result.kind === "history" && this.lastStep[i] !== Number.NEGATIVE_INFINITY;
    if (resumed) this.resumedAt[i] = result.start;
    if (result.kind === "correction" || resumed) {
      // Both replace every step they cover.
      for (const key of [...points.keys()]) {
        const t = Number(key.split("@")[1]);
        if (t >= result.start && t <= result.end) points.delete(key);
      }
    }
    if (resumed && repeats) expect(result.start, "no gap").toBeLessThanOrEqual(this.lastStep[i]! + 1);
    else if (resumed || result.kind === "steps")
      expect(result.start, "no gap, no repeat").toBe(this.lastStep[i]! + 1);
    if (result.kind !== "correction") this.lastStep[i] = result.end;
    for (const s of result.result)
      for (const [t, v] of s.values) points.set(`${JSON.stringify(s.metric)}@${t}`, v);
  }
}

describe("live PromQL across kill -9 of the runtime", () => {
  it("resumes an SSE stream from Last-Event-ID and a socket with after, at the next step, and ends equal to query_range", async () => {
    let url = await start();
    const device = await mintToken(secret, { kind: "device", board, device: "d1" });
    let posting = true;
    let value = 0;
    const poster = (async () => {
      while (posting) {
        value = value === 30 ? 1 : value + 1; // a reset at 30
        await fetch(`${url}/api/v1/ingest`, {
          method: "POST",
          headers: { authorization: `Bearer ${device}`, "content-type": "application/json" },
          body: JSON.stringify({ points: [{ metric: "c", value, ts: Date.now() }] }),
        }).catch(() => {}); // refused while the runtime is down: that point is not stored
        await sleep(200);
      }
    })();
    const sse = new Held();
    const ws = new Held();
    let lastEventId: string | null = null;
    const first = [
      readStream(url, null, (id, result) => {
        sse.apply(result, true);
        lastEventId = id ?? lastEventId;
        return true;
      }),
      readSocket(url, null, (result) => {
        ws.apply(result, false);
        return true;
      }),
    ];
    await sleep(4000);
    process.kill(-wrangler!.child.pid!, "SIGKILL");
    await wrangler!.exited;
    await Promise.all(first);
    const resumeFrom = lastEventId;
    expect(resumeFrom).not.toBeNull();
    const socketHad = [...ws.lastStep];
    expect(Math.min(...socketHad)).toBeGreaterThan(Number.NEGATIVE_INFINITY);
    url = await start();
    const until = Math.floor(Date.now() / 1000) + 4;
    await Promise.all([
      readStream(url, resumeFrom, (id, result) => {
        sse.apply(result, true);
        lastEventId = id ?? lastEventId;
        return Math.min(...sse.lastStep) < until;
      }),
      readSocket(url, socketHad, (result) => {
        ws.apply(result, false);
        return Math.min(...ws.lastStep) < until;
      }),
    ]);
    posting = false;
    await poster;
    expect(Math.min(...sse.resumedAt)).toBe(Number(resumeFrom) + 1);
    expect(ws.resumedAt).toEqual(socketHad.map((step) => step + 1));
    const viewer = await mintToken(secret, { kind: "viewer", board });
    for (const held of [sse, ws]) {
      for (const [i, expr] of EXPRESSIONS.entries()) {
        const params = new URLSearchParams({
          query: expr,
          start: String(held.firstStart),
          end: String(held.lastStep[i]),
          step: "1",
        });
        const response = await fetch(
          `${url}/api/v1/boards/${board}/prometheus/api/v1/query_range?${params}`,
          {
            headers: { authorization: `Bearer ${viewer}` },
          },
        );
        const body = (await response.json()) as { data: { result: LiveResult["result"] } };
        const settled = new Map<string, string>();
        for (const s of body.data.result)
          for (const [t, v] of s.values) settled.set(`${JSON.stringify(s.metric)}@${t}`, v);
        expect(settled.size, expr).toBeGreaterThan(5);
        expect(Object.fromEntries(held.points[i]!), expr).toEqual(Object.fromEntries(settled));
      }
    }
  }, 120_000);
});
