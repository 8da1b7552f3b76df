import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { findFreePorts, waitForHttp } from "./net.ts";
import { DEV_HOST } from "./tools.ts";

/** A reference server (Debian's Prometheus, Alertmanager) running for a test. */
export interface Daemon {
  port: number;
  /** Its base URL, e.g. http://127.0.0.1:9123. */
  url: string;
  /** What it logged, for failure messages. */
  log: string[];
  /** Stops it and removes its temp dir. */
  stop(): Promise<void>;
}

/**
 * Starts `command` listening on a free loopback port, with a temp dir for its config and state (`args` gets the address, the dir and the port),
 * and waits until `<url>/-/ready` answers 2xx; it is stopped (dir removed) if it does not.
 */
export async function startDaemon(
  command: string,
  args: (listen: string, dir: string, port: number) => string[],
): Promise<Daemon> {
  const [port] = (await findFreePorts(DEV_HOST, 1)) as [number];
  const dir = mkdtempSync(join(tmpdir(), `edgepulse-${command}-`));
  const log: string[] = [];
  const child: ChildProcess = spawn(command, args(`${DEV_HOST}:${port}`, dir, port), {
    stdio: ["ignore", "pipe", "pipe"],
  });
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
    // Prometheus answers 503 until its storage is open.
    for (let tries = 0; !(await fetch(`${url}/-/ready`)).ok; tries++) {
      if (tries > 100) throw new Error("not ready after 25 s");
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  } catch (error) {
    await stop();
    throw new Error(`${command} did not start: ${(error as Error).message}\n${log.join("").slice(-2000)}`);
  }
  return { port, url, log, stop };
}
