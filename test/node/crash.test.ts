/**
 * Durability under `kill -9`: devices post while the whole `wrangler dev` process group (workerd included) is
 * killed at a random moment, three times over the same storage, with checkpoints every 200 ms. Every batch answered 202 must be stored, and no
 * batch stored twice: rollups, the latest values and the board's counters all agree with what was acknowledged.
 */
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { mintToken } from "../../scripts/mint-token.ts";
import { findFreePorts, waitForHttp } from "../../scripts/net.ts";
import { type GroupProcess, startGroup } from "../../scripts/processes.ts";
import { DEV_HOST, wranglerDev } from "../../scripts/tools.ts";
import type { BoardStats, HistoryResult } from "../../worker/protocol/index.ts";

const DEVICES = 4;
const METRICS = 20;
const ROUNDS = 3;
const secret = randomBytes(32).toString("hex");
const board = `crash-${randomBytes(4).toString("hex")}`;
const stateDir = mkdtempSync(join(tmpdir(), "edgepulse-crash-"));
const output: string[] = [];
let wrangler: GroupProcess | undefined;

async function start(): Promise<string> {
  const [port, inspectorPort] = (await findFreePorts(DEV_HOST, 2)) as [number, number];
  // Checkpoints every 200 ms, so kills land before, during and after them.
  const args = ["--inspector-port", String(inspectorPort), "--persist-to", stateDir];
  args.push("--var", "CHECKPOINT_INTERVAL_MS:200");
  wrangler = startGroup(wranglerDev(port, [...args, "--var", `EDGEPULSE_SECRET:${secret}`]), {
    output: (line) => output.push(line),
  });
  const url = `http://${DEV_HOST}:${port}`;
  await waitForHttp(`${url}/api/v1/ingest`, 60_000, wrangler.exited);
  return url;
}

/** SIGKILL to wrangler's whole process group: no shutdown code runs anywhere. */
async function crash(): Promise<void> {
  const pid = wrangler!.child.pid!;
  process.kill(-pid, "SIGKILL");
  await wrangler!.exited;
}

/** Per device and metric, the points of every batch acknowledged and of every batch sent. */
const acknowledged = new Map<string, number>();
const sent = new Map<string, number>();
let lastValue = new Map<string, number>();

/** Each device posts batches of its metrics back to back until `stop` resolves. */
async function post(url: string, stop: Promise<void>): Promise<void> {
  let stopped = false;
  void stop.then(() => {
    stopped = true;
  });
  await Promise.all(
    Array.from({ length: DEVICES }, async (_, d) => {
      const device = `dev-${d}`;
      const token = await mintToken(secret, { kind: "device", board, device });
      for (let n = 0; !stopped; n++) {
        const value = Date.now() + n / 1000;
        const metrics = Object.fromEntries(Array.from({ length: METRICS }, (_, m) => [`m${m}`, value]));
        for (const m of Object.keys(metrics))
          sent.set(`${device}:${m}`, (sent.get(`${device}:${m}`) ?? 0) + 1);
        try {
          const response = await fetch(`${url}/api/v1/ingest`, {
            method: "POST",
            headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
            body: JSON.stringify({ metrics }),
          });
          if (response.status === 202) {
            for (const m of Object.keys(metrics)) {
              acknowledged.set(`${device}:${m}`, (acknowledged.get(`${device}:${m}`) ?? 0) + 1);
              lastValue.set(`${device}:${m}`, value);
            }
          }
        } catch {
          // The server died under this request: its batch may or may not be stored.
        }
      }
    }),
  );
}

async function viewerGet<T>(url: string, path: string): Promise<T> {
  const viewer = await mintToken(secret, { kind: "viewer", board });
  const response = await fetch(`${url}/api/v1/boards/${board}/${path}`, {
    headers: { authorization: `Bearer ${viewer}` },
  });
  expect(response.status).toBe(200);
  return (await response.json()) as T;
}

afterAll(async () => {
  await wrangler?.stop();
  rmSync(stateDir, { recursive: true, force: true });
});

describe("a board killed with SIGKILL under load", () => {
  it("keeps every acknowledged batch exactly once across three crashes", async () => {
    const began = Date.now();
    for (let round = 0; round < ROUNDS; round++) {
      const url = await start();
      // Kill at a random moment 1 to 3 s into the load, requests in flight.
      const killAt = new Promise<void>((resolve) => setTimeout(resolve, 1000 + Math.random() * 2000));
      const load = post(url, killAt);
      await killAt;
      await crash();
      await load;
    }
    const url = await start();
    const series = [...sent.keys()];
    const history = await viewerGet<HistoryResult>(
      url,
      `query?series=${series.join(",")}&from=${began - 60_000}&step=1h`,
    );
    const stats = await viewerGet<BoardStats>(url, "stats");
    const listed = await viewerGet<{
      series: Array<{ device: string; metric: string; last: { value: number } }>;
    }>(url, "series");
    let storedPoints = 0;
    for (const s of history.series) {
      const key = `${s.device}:${s.metric}`;
      const stored = s.count.reduce((sum, n) => sum + n, 0);
      storedPoints += stored;
      expect(stored, key).toBeGreaterThanOrEqual(acknowledged.get(key) ?? 0);
      expect(stored, key).toBeLessThanOrEqual(sent.get(key)!);
    }
    expect(storedPoints).toBe(stats.ingest.points);
    expect(stats.ingest.requests).toBe(stats.seq);
    for (const s of listed.series) {
      // The newest stored value is at least the newest acknowledged one (a later, unanswered post may be stored).
      expect(s.last.value, `${s.device}:${s.metric}`).toBeGreaterThanOrEqual(
        lastValue.get(`${s.device}:${s.metric}`)!,
      );
    }
    expect(stats.wakes).toBeGreaterThanOrEqual(ROUNDS + 1);
    expect(stats.checkpoints).toBeGreaterThan(ROUNDS);
    lastValue = new Map();
  });
});
