/**
 * Durability under `kill -9`: devices post while the whole `wrangler dev` process group (workerd included) is
 * killed at a random moment, three times over the same storage, with checkpoints every 200 ms. Devices retry
 * what got no answer after the restart, with the same `Idempotency-Key`: in the end every batch is stored exactly
 * once, and rollups, latest values and the board's counters all agree.
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

interface Batch {
  device: string;
  key: string;
  body: string;
  value: number;
}

/** Per series, the points of every distinct batch sent; batches still without an answer; the newest value. */
const sent = new Map<string, number>();
let unanswered: Batch[] = [];
const newest = new Map<string, number>();
const tokens = new Map<string, Promise<string>>();

function deviceToken(device: string): Promise<string> {
  if (!tokens.has(device)) tokens.set(device, mintToken(secret, { kind: "device", board, device }));
  return tokens.get(device)!;
}

/** Sends a batch; true when answered 202, false when the server died under it. Any other answer fails. */
async function send(url: string, batch: Batch): Promise<boolean> {
  let response: Response;
  try {
    response = await fetch(`${url}/api/v1/ingest`, {
      method: "POST",
      headers: {
        authorization: `Bearer ${await deviceToken(batch.device)}`,
        "content-type": "application/json",
        "idempotency-key": batch.key,
      },
      body: batch.body,
    });
  } catch {
    return false;
  }
  if (response.status !== 202)
    throw new Error(`ingest answered ${response.status}: ${await response.text()}`);
  return true;
}

/** Each device posts new batches back to back until `stop` resolves, keeping those left without an answer. */
async function post(url: string, stop: Promise<void>): Promise<void> {
  let stopped = false;
  void stop.then(() => {
    stopped = true;
  });
  await Promise.all(
    Array.from({ length: DEVICES }, async (_, d) => {
      const device = `dev-${d}`;
      for (let n = 0; !stopped; n++) {
        const value = Date.now() + n / 1000;
        const metrics = Object.fromEntries(Array.from({ length: METRICS }, (_, m) => [`m${m}`, value]));
        const batch = {
          device,
          key: randomBytes(8).toString("hex"),
          body: JSON.stringify({ metrics }),
          value,
        };
        for (const m of Object.keys(metrics))
          sent.set(`${device}:${m}`, (sent.get(`${device}:${m}`) ?? 0) + 1);
        newest.set(device, value);
        if (!(await send(url, batch))) unanswered.push(batch);
      }
    }),
  );
}

/** Sends again, with the same keys, every batch that got no answer. */
async function retryUnanswered(url: string): Promise<void> {
  const retrying = unanswered;
  unanswered = [];
  for (const batch of retrying) if (!(await send(url, batch))) throw new Error("the restarted server died");
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
  it("stores every batch exactly once across three crashes, unanswered ones retried with their keys", async () => {
    const began = Date.now();
    let retried = 0;
    for (let round = 0; round < ROUNDS; round++) {
      const url = await start();
      retried += unanswered.length;
      await retryUnanswered(url);
      // Kill at a random moment 1 to 3 s into the load, requests in flight.
      const killAt = new Promise<void>((resolve) => setTimeout(resolve, 1000 + Math.random() * 2000));
      const load = post(url, killAt);
      await killAt;
      await crash();
      await load;
    }
    const url = await start();
    retried += unanswered.length;
    await retryUnanswered(url);
    expect(retried).toBeGreaterThan(0);
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
      const stored = s.count.reduce((sum, n) => sum + n, 0);
      storedPoints += stored;
      expect(stored, `${s.device}:${s.metric}`).toBe(sent.get(`${s.device}:${s.metric}`));
    }
    expect(storedPoints).toBe(stats.ingest.points);
    expect(stats.ingest.requests).toBe(stats.seq);
    for (const s of listed.series) expect(s.last.value, `${s.device}:${s.metric}`).toBe(newest.get(s.device));
    expect(stats.wakes).toBeGreaterThanOrEqual(ROUNDS + 1);
    expect(stats.checkpoints).toBeGreaterThan(ROUNDS);
  });
});
