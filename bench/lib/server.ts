import { type ChildProcess, spawn } from "node:child_process";
import { openSync, readFileSync } from "node:fs";
import { mkdtemp } from "node:fs/promises";
import { createServer } from "node:net";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { groupCpu, type ProcessCpu } from "./procfs.ts";
import type { Stage } from "./stage.ts";

const READY_TIMEOUT_MS = 60_000;
const STOP_GRACE_MS = 5_000;
/** Process groups of the servers still running, each with its graceful stop. */
const running = new Map<number, () => Promise<void>>();

/** A running `wrangler dev` of the benchmark Worker. */
export interface DevServer {
  origin: string;
  /** wrangler's `--persist-to` directory: Durable Object SQLite files live under `v3/do/`. */
  persistDir: string;
  /** DevTools protocol endpoint of the Worker's isolate (wrangler's inspector proxy). */
  inspectorPort: number;
  /** CPU so far of every process wrangler started (its Node process and both workerd runtimes). */
  cpu(): ProcessCpu[];
  /** Stops the whole process group: nothing it started outlives it. */
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  if (typeof address !== "object" || address === null) throw new Error("no free port");
  return address.port;
}

function groupAlive(pgid: number): boolean {
  return groupCpu(pgid).length > 0;
}

async function signalGroup(child: ChildProcess, pgid: number): Promise<void> {
  for (const signal of ["SIGTERM", "SIGKILL"] as const) {
    try {
      process.kill(-pgid, signal);
    } catch {
      return; // The group is gone.
    }
    const deadline = Date.now() + STOP_GRACE_MS;
    while (Date.now() < deadline && (child.exitCode === null || groupAlive(pgid))) await sleep(100);
    if (!groupAlive(pgid)) return;
  }
  throw new Error(`process group ${pgid} survived SIGKILL`);
}

async function waitReady(origin: string, child: ChildProcess, log: string): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) break;
    try {
      if ((await fetch(`${origin}/bench/health`)).ok) return;
    } catch {
      // Not listening yet.
    }
    await sleep(200);
  }
  throw new Error(`wrangler dev did not become ready; its log:\n${readFileSync(log, "utf8").slice(-4000)}`);
}

/** The benchmark posts hundreds of requests a second per device: lift the per-device limit (its check still runs). */
const BENCH_VARS: Record<string, string> = { DEVICE_REQUESTS_PER_10S: "1000000000" };

/**
 * Starts `wrangler dev` on the staged sources in its own process group, with a fresh `--persist-to` directory and
 * the secret (and any `vars` overriding the config's) passed as `--var`, and waits until it answers.
 */
export async function startServer(
  stage: Stage,
  secret: string,
  vars: Record<string, string> = {},
): Promise<DevServer> {
  const [port, inspectorPort] = [await freePort(), await freePort()];
  const persist = await mkdtemp(join(stage.dir, "state-"));
  const log = `${persist}.log`;
  const output = openSync(log, "w");
  const child = spawn(
    process.execPath,
    [
      join(stage.dir, "node_modules/wrangler/bin/wrangler.js"),
      "dev",
      ...["--config", stage.config, "--ip", "127.0.0.1", "--port", String(port)],
      ...["--inspector-port", String(inspectorPort), "--persist-to", persist],
      ...Object.entries({ ...BENCH_VARS, ...vars, EDGEPULSE_SECRET: secret }).flatMap(([key, value]) => [
        "--var",
        `${key}:${value}`,
      ]),
      ...["--log-level", "warn", "--show-interactive-dev-session=false"],
    ],
    {
      cwd: stage.dir,
      detached: true,
      stdio: ["ignore", output, output],
      env: { ...process.env, WRANGLER_SEND_METRICS: "false", NO_UPDATE_NOTIFIER: "1" },
    },
  );
  const pgid = child.pid!;
  const origin = `http://127.0.0.1:${port}`;
  try {
    await waitReady(origin, child, log);
  } catch (error) {
    await signalGroup(child, pgid);
    throw error;
  }
  const stop = async () => {
    running.delete(pgid);
    await signalGroup(child, pgid);
  };
  running.set(pgid, stop);
  return { origin, persistDir: persist, inspectorPort, cpu: () => groupCpu(pgid), stop };
}

/** Stops every server still running, e.g. when the benchmark is interrupted. */
export async function stopAllServers(): Promise<void> {
  await Promise.all([...running.values()].map((stop) => stop()));
}

/** Last resort on process exit (a crash included), where nothing asynchronous runs: SIGKILL every group left. */
export function killAllServersNow(): void {
  for (const pgid of running.keys()) {
    try {
      process.kill(-pgid, "SIGKILL");
    } catch {
      // Already gone.
    }
  }
}
