/**
 * Live PromQL across `kill -9` of the runtime: an SSE subscription held while a device posts, the whole `wrangler
 * dev` group killed and restarted on the same storage, the stream resumed with its `Last-Event-ID`. It continues at
 * the next step (no gap, no repeat), and everything it streamed equals `query_range` over the span at the end.
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
import type { LiveResult } from "../../worker/protocol/index.ts";

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

describe("live PromQL across kill -9 of the runtime", () => {
  it("resumes from Last-Event-ID at the next step and ends equal to query_range", async () => {
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
    const held = EXPRESSIONS.map(() => new Map<string, string>());
    const lastStep = EXPRESSIONS.map(() => Number.NEGATIVE_INFINITY);
    let firstStart = Number.NaN;
    let lastEventId: string | null = null;
    let resumedAt = Number.NaN;
    const apply = (id: string | undefined, result: LiveResult) => {
      const i = Number(result.id);
      if (result.kind === "history" && Number.isNaN(firstStart)) firstStart = result.start;
      const resumed = result.kind === "history" && lastStep[i] !== Number.NEGATIVE_INFINITY;
      if (result.kind === "correction" || resumed) {
        // Both replace every step they cover (a subscription a step ahead of the stream's id gets it again).
        for (const key of [...held[i]!.keys()]) {
          const t = Number(key.split("@")[1]);
          if (t >= result.start && t <= result.end) held[i]!.delete(key);
        }
      }
      if (resumed) expect(result.start, "no gap").toBeLessThanOrEqual(lastStep[i]! + 1);
      else if (result.kind === "steps") expect(result.start, "no gap, no repeat").toBe(lastStep[i]! + 1);
      if (result.kind !== "correction") lastStep[i] = result.end;
      for (const s of result.result)
        for (const [t, v] of s.values) held[i]!.set(`${JSON.stringify(s.metric)}@${t}`, v);
      lastEventId = id ?? lastEventId;
    };
    const first = readStream(url, null, (id, result) => {
      apply(id, result);
      return true;
    });
    await sleep(4000);
    process.kill(-wrangler!.child.pid!, "SIGKILL");
    await wrangler!.exited;
    await first;
    const resumeFrom = lastEventId;
    expect(resumeFrom).not.toBeNull();
    url = await start();
    const until = Math.floor(Date.now() / 1000) + 4;
    await readStream(url, resumeFrom, (id, result) => {
      if (result.kind === "history") resumedAt = result.start;
      apply(id, result);
      return Math.min(...lastStep) < until;
    });
    posting = false;
    await poster;
    expect(resumedAt).toBe(Number(resumeFrom) + 1);
    const viewer = await mintToken(secret, { kind: "viewer", board });
    for (const [i, expr] of EXPRESSIONS.entries()) {
      const params = new URLSearchParams({
        query: expr,
        start: String(firstStart),
        end: String(lastStep[i]),
        step: "1",
      });
      const response = await fetch(`${url}/api/v1/boards/${board}/prometheus/api/v1/query_range?${params}`, {
        headers: { authorization: `Bearer ${viewer}` },
      });
      const body = (await response.json()) as { data: { result: LiveResult["result"] } };
      const settled = new Map<string, string>();
      for (const s of body.data.result)
        for (const [t, v] of s.values) settled.set(`${JSON.stringify(s.metric)}@${t}`, v);
      expect(settled.size, expr).toBeGreaterThan(5);
      expect(Object.fromEntries(held[i]!), expr).toEqual(Object.fromEntries(settled));
    }
  }, 120_000);
});
