/**
 * Durability under `kill -9`: devices record samples through the device client (`client/`) while the whole
 * `wrangler dev` process group (workerd included) is killed at a random moment and restarted on the same storage,
 * three times, with checkpoints every 200 ms. The clients retry what got no answer, with the same
 * `Idempotency-Key`: in the end every recorded point is stored exactly once, and rollups, latest values and the
 * board's counters all agree.
 */
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { EdgepulseClient } from "../../client/src/index.ts";
import { mintToken } from "../../scripts/mint-token.ts";
import { findFreePorts, waitForHttp } from "../../scripts/net.ts";
import { type GroupProcess, startGroup } from "../../scripts/processes.ts";
import { DEV_HOST, wranglerDev } from "../../scripts/tools.ts";
import type { BoardStats, HistoryResult } from "../../worker/protocol/index.ts";

const DEVICES = 4;
const METRICS = 20;
const ROUNDS = 3;
const SAMPLE_EVERY_MS = 20;
const secret = randomBytes(32).toString("hex");
const board = `crash-${randomBytes(4).toString("hex")}`;
const stateDir = mkdtempSync(join(tmpdir(), "edgepulse-crash-"));
const output: string[] = [];
let wrangler: GroupProcess | undefined;
let ports: [number, number] | undefined;

/** Starts wrangler dev on the same port each time, so clients reach the restarted server at the same URL. */
async function start(): Promise<string> {
  ports ??= (await findFreePorts(DEV_HOST, 2)) as [number, number];
  const [port, inspectorPort] = ports;
  // Checkpoints every 200 ms, so kills land before, during and after them.
  const args = ["--inspector-port", String(inspectorPort), "--persist-to", stateDir];
  args.push("--var", "CHECKPOINT_INTERVAL_MS:200", "--var", `EDGEPULSE_SECRET:${secret}`);
  wrangler = startGroup(wranglerDev(port, args), { output: (line) => output.push(line) });
  const url = `http://${DEV_HOST}:${port}`;
  await waitForHttp(`${url}/api/v1/ingest`, 60_000, wrangler.exited);
  return url;
}

/** SIGKILL to wrangler's whole process group: no shutdown code runs anywhere. */
async function crash(): Promise<void> {
  process.kill(-wrangler!.child.pid!, "SIGKILL");
  await wrangler!.exited;
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
  it("stores every recorded point exactly once across three crashes, the device client retrying", async () => {
    const began = Date.now();
    const url = await start();
    /** Points recorded per series, and each device's newest value. */
    const recorded = new Map<string, number>();
    const newest = new Map<string, number>();
    const clients = await Promise.all(
      Array.from({ length: DEVICES }, async (_, d) => {
        const device = `dev-${d}`;
        const token = await mintToken(secret, { kind: "device", board, device });
        const client = new EdgepulseClient({ url, token, maxBatchPoints: 200, flushIntervalMs: 20 });
        return { device, client };
      }),
    );
    let recording = true;
    const samplers = clients.map(async ({ device, client }) => {
      for (let n = 0; recording; n++) {
        const value = n;
        for (let m = 0; m < METRICS; m++) {
          client.record(`m${m}`, value);
          recorded.set(`${device}:m${m}`, (recorded.get(`${device}:m${m}`) ?? 0) + 1);
        }
        newest.set(device, value);
        await new Promise((resolve) => setTimeout(resolve, SAMPLE_EVERY_MS));
      }
    });
    for (let round = 0; round < ROUNDS; round++) {
      if (round > 0) await start();
      // Kill at a random moment 1 to 3 s in, requests in flight; the devices keep recording meanwhile.
      await new Promise((resolve) => setTimeout(resolve, 1000 + Math.random() * 2000));
      await crash();
    }
    await start();
    recording = false;
    await Promise.all(samplers);
    await Promise.all(clients.map(({ client }) => client.close(60_000)));
    for (const { client } of clients) expect(client.stats).toMatchObject({ dropped: 0, rejected: 0 });
    expect(clients.reduce((sum, { client }) => sum + client.stats.retries, 0)).toBeGreaterThan(0);

    const series = [...recorded.keys()];
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
      expect(stored, `${s.device}:${s.metric}`).toBe(recorded.get(`${s.device}:${s.metric}`));
    }
    expect(storedPoints).toBe(stats.ingest.points);
    expect(stats.ingest.requests).toBe(stats.positions.reduce((sum, position) => sum + position.seq, 0));
    for (const s of listed.series) expect(s.last.value, `${s.device}:${s.metric}`).toBe(newest.get(s.device));
    expect(stats.wakes).toBeGreaterThanOrEqual(ROUNDS + 1);
    expect(stats.checkpoints).toBeGreaterThan(ROUNDS);
  });
});
