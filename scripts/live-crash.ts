/**
 * The live stream under `kill -9`: devices post through the device client and viewers of every kind (WebSocket,
 * SSE, long poll) watch, on the hub and on relays, while the whole `wrangler dev` process group is killed and
 * restarted on the same `--persist-to` state. Every viewer resumes from what it applied; the report counts, per
 * viewer, each frame that broke its per-shard continuity and each recorded point it missed or got twice. Used by
 * `test/node/live-crash.test.ts` (a few kills) and `scripts/live-crash-soak.ts` (many).
 */
import { randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { EdgepulseClient } from "../client/src/index.ts";
import { LiveWatcher, pause, type StreamFaults, type Transport } from "./live-watcher.ts";
import { mintToken } from "./mint-token.ts";
import { findFreePorts, waitForHttp } from "./net.ts";
import { type GroupProcess, startGroup } from "./processes.ts";
import { DEV_HOST, wranglerDev } from "./tools.ts";

export interface LiveCrashOptions {
  shards: number;
  /** Viewers the hub (and each relay) serves before the next goes to a relay. */
  viewersPerObject: number;
  kills: number;
  /** Viewers in the order they first connect (the first ones land on the hub, the rest on relays). */
  viewers: Transport[];
  devices: number;
  metrics: number;
  /** Each kill comes at a random moment this long after the restart (ms). */
  upMs: [number, number];
  log?: (line: string) => void;
}

export interface ViewerReport {
  transport: Transport;
  faults: StreamFaults;
  /** Recorded points it never got, and points it got more than once. */
  missing: number;
  duplicated: number;
  frames: number;
  /** Resumes after a restart that the server did not continue (`resumed: false`). */
  notResumed: number;
  closeCodes: number[];
}

export interface LiveCrashReport {
  points: number;
  viewers: ViewerReport[];
  /**
   * Greeting times (ms) of sockets and streams: voluntary reconnects while the server ran, and resumes after each
   * restart (from when the Worker answered). Polls are left out: a caught-up poll waits for data by design.
   */
  reconnectMs: number[];
  crashResumeMs: number[];
  /** How long each restart took until the Worker answered (ms). */
  restartMs: number[];
}

/** 20 samples a second per metric: a restart of 25 s leaves a poll of 4 devices × 5 metrics under its replay bound. */
const SAMPLE_EVERY_MS = 50;

export async function runLiveCrash(options: LiveCrashOptions): Promise<LiveCrashReport> {
  const log = options.log ?? (() => {});
  const secret = randomBytes(32).toString("hex");
  const board = `live-crash-${randomBytes(4).toString("hex")}`;
  const stateDir = mkdtempSync(join(tmpdir(), "edgepulse-live-crash-"));
  // Viewers need no dashboard: an empty assets folder spares a build.
  const assetsDir = join(stateDir, "assets");
  mkdirSync(assetsDir);
  const [port, inspectorPort] = (await findFreePorts(DEV_HOST, 2)) as [number, number];
  const url = `http://${DEV_HOST}:${port}`;
  let wrangler: GroupProcess | undefined;
  const restartMs: number[] = [];
  /** wrangler's last lines, for the error when it does not come up. */
  const recent: string[] = [];

  /** Starts wrangler dev on the same port and state each time; resolves with when it answered. */
  const start = async (): Promise<number> => {
    const began = Date.now();
    const args = ["--inspector-port", String(inspectorPort), "--persist-to", join(stateDir, "state")];
    args.push("--assets", assetsDir);
    // The default checkpoint interval: what shards recorded of their pushes is as old as it gets in production.
    for (const [name, value] of Object.entries({
      BOARD_SHARDS: options.shards,
      VIEWERS_PER_OBJECT: options.viewersPerObject,
      EDGEPULSE_SECRET: secret,
    }))
      args.push("--var", `${name}:${value}`);
    const output = (line: string) => {
      log(`wrangler: ${line}`);
      recent.push(line);
      if (recent.length > 20) recent.shift();
    };
    wrangler = startGroup(wranglerDev(port, args), { output });
    await waitForHttp(`${url}/api/v1/ingest`, 60_000, wrangler.exited).catch((error: Error) => {
      throw new Error(`${error.message}; its last lines:\n${recent.join("\n")}`);
    });
    restartMs.push(Date.now() - began);
    return Date.now();
  };
  /** SIGKILL to the whole group: workerd dies with every object, socket and stream in it. */
  const crash = async () => {
    process.kill(-wrangler!.child.pid!, "SIGKILL");
    await wrangler!.exited;
  };

  const watchers: LiveWatcher[] = [];
  const recorded = new Map<string, number>();
  let recording = true;
  /** Devices hold their samples (a quiet moment): viewers then resume before any device posts again. */
  let paused = false;
  try {
    await start();
    const token = await mintToken(secret, { kind: "viewer", board });
    for (const transport of options.viewers) {
      const watcher = new LiveWatcher(transport, url, board, token);
      await watcher.start();
      watchers.push(watcher);
    }
    const clients = await Promise.all(
      Array.from({ length: options.devices }, async (_, d) => {
        const device = `dev-${d}`;
        const deviceToken = await mintToken(secret, { kind: "device", board, device });
        const client = new EdgepulseClient({
          url,
          token: deviceToken,
          maxBatchPoints: 200,
          flushIntervalMs: 20,
          retryInitialMs: 100,
          retryMaxMs: 500,
        });
        return { device, client };
      }),
    );
    const samplers = clients.map(async ({ device, client }) => {
      for (let n = 0; recording; n++) {
        while (paused) await pause(SAMPLE_EVERY_MS);
        for (let m = 0; m < options.metrics; m++) {
          client.record(`m${m}`, n);
          recorded.set(`${device}:m${m}`, n + 1);
        }
        await pause(SAMPLE_EVERY_MS);
      }
    });

    // A normal reconnect of every viewer while the server runs: what a resume after a crash is compared with.
    await pause(800);
    const reconnectMs: number[] = [];
    for (const watcher of watchers) {
      if (watcher.transport === "poll") continue;
      const before = watcher.greetings.length;
      const asked = Date.now();
      watcher.reconnect();
      while (watcher.greetings.length === before) await pause(10);
      reconnectMs.push(watcher.greetings[before]!.at - asked);
    }

    const crashResumeMs: number[] = [];
    const notResumed = watchers.map(() => 0);
    for (let kill = 0; kill < options.kills; kill++) {
      const [least, most] = options.upMs;
      await pause(least + Math.random() * (most - least));
      // Every other kill comes in a quiet moment, so viewers are first to wake the restarted objects.
      const quiet = kill % 2 === 0;
      if (quiet) {
        paused = true;
        await Promise.all(clients.map(({ client }) => client.flush()));
        await pause(300);
      }
      await crash();
      const before = watchers.map((watcher) => watcher.greetings.length);
      const up = await start();
      log(`kill ${kill + 1}: restarted in ${restartMs.at(-1)} ms`);
      await Promise.all(
        watchers.map(async (watcher, i) => {
          const deadline = Date.now() + 30_000;
          while (watcher.greetings.length === before[i] && Date.now() < deadline) await pause(10);
          const greeting = watcher.greetings[before[i]!];
          if (!greeting)
            throw new Error(`a ${watcher.transport} viewer was not greeted after restart ${kill + 1}`);
          if (watcher.transport !== "poll")
            crashResumeMs.push(Math.max(0, greeting.at - Math.max(greeting.began, up)));
          if (!greeting.resumed) notResumed[i]!++;
        }),
      );
      paused = false;
    }

    await pause(1000);
    recording = false;
    await Promise.all(samplers);
    await Promise.all(clients.map(({ client }) => client.close(30_000)));
    for (const { device, client } of clients)
      if (client.stats.dropped + client.stats.rejected > 0)
        throw new Error(`${device} lost points: ${JSON.stringify(client.stats)}`);
    // Every viewer gets there, or the check below says what it lacks.
    const deadline = Date.now() + 20_000;
    const complete = (watcher: LiveWatcher) =>
      [...recorded].every(([series, count]) => watcher.count(series) >= count);
    while (!watchers.every(complete) && Date.now() < deadline) await pause(50);

    const viewers = watchers.map((watcher, i): ViewerReport => {
      let missing = 0;
      let duplicated = 0;
      for (const [series, count] of recorded) {
        const seen = new Map<number, number>();
        for (const value of watcher.values.get(series) ?? []) seen.set(value, (seen.get(value) ?? 0) + 1);
        for (let n = 0; n < count; n++) {
          const times = seen.get(n) ?? 0;
          if (times === 0) missing++;
          else duplicated += times - 1;
        }
      }
      return {
        transport: watcher.transport,
        faults: watcher.faults,
        missing,
        duplicated,
        frames: watcher.frames,
        notResumed: notResumed[i]!,
        closeCodes: watcher.closeCodes,
      };
    });
    const points = [...recorded.values()].reduce((sum, n) => sum + n, 0);
    return { points, viewers, reconnectMs, crashResumeMs, restartMs };
  } finally {
    recording = false;
    await Promise.all(watchers.map((watcher) => watcher.stop()));
    await wrangler?.stop();
    rmSync(stateDir, { recursive: true, force: true });
  }
}
