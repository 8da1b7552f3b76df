import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { findFreePorts, waitForHttp } from "./net.ts";
import { DEV_HOST } from "./tools.ts";

export interface RealAlertmanager {
  /** Its base URL, e.g. http://127.0.0.1:9123. */
  url: string;
  log: string[];
  stop(): Promise<void>;
}

/** One route grouping by alert name into a receiver that sends nothing; short waits so tests see groups soon. */
const CONFIG = `route:
  receiver: quiet
  group_by: [alertname]
  group_wait: 1s
  group_interval: 1s
receivers:
  - name: quiet
`;

/** Starts Debian's `prometheus-alertmanager` on a free loopback port, clustering off, state in a temp dir. */
export async function startRealAlertmanager(): Promise<RealAlertmanager> {
  const [port] = (await findFreePorts(DEV_HOST, 1)) as [number];
  const dir = mkdtempSync(join(tmpdir(), "edgepulse-real-alertmanager-"));
  writeFileSync(join(dir, "alertmanager.yml"), CONFIG);
  const log: string[] = [];
  const child: ChildProcess = spawn(
    "prometheus-alertmanager",
    [
      `--config.file=${join(dir, "alertmanager.yml")}`,
      `--storage.path=${join(dir, "data")}`,
      `--web.listen-address=${DEV_HOST}:${port}`,
      "--cluster.listen-address=",
    ],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  child.stderr?.on("data", (chunk: Buffer) => log.push(chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const url = `http://${DEV_HOST}:${port}`;
  const stop = async () => {
    if (child.exitCode === null) {
      child.kill("SIGTERM");
      await exited;
    }
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await waitForHttp(`${url}/-/ready`, 30_000, exited);
  } catch (error) {
    await stop();
    throw new Error(`alertmanager did not start: ${(error as Error).message}\n${log.join("").slice(-2000)}`);
  }
  return { url, log, stop };
}
