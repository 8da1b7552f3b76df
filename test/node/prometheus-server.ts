import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { findFreePorts, waitForHttp } from "../../scripts/net.ts";
import { DEV_HOST } from "../../scripts/tools.ts";

/** Debian's Prometheus server, started on a free port of DEV_HOST with its data in a temp dir. */
export interface PrometheusServer {
  port: number;
  url: string;
  /** What it wrote to stderr, for a failing test's message. */
  log: string[];
  /** Stops it (SIGTERM, waiting for it to exit) and removes its temp dir. */
  stop(): Promise<void>;
}

/** Starts Prometheus with the config `config(port)` returns (YAML lines: it knows its own port to scrape itself). */
export async function startPrometheus(config: (port: number) => string[]): Promise<PrometheusServer> {
  const [port] = (await findFreePorts(DEV_HOST, 1)) as [number];
  const dir = mkdtempSync(join(tmpdir(), "edgepulse-prometheus-"));
  const file = join(dir, "prometheus.yml");
  writeFileSync(file, config(port).join("\n"));
  const prometheus = spawn(
    "prometheus",
    [
      `--config.file=${file}`,
      `--storage.tsdb.path=${join(dir, "data")}`,
      `--web.listen-address=${DEV_HOST}:${port}`,
    ],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  const log: string[] = [];
  prometheus.stderr.on("data", (chunk: Buffer) => log.push(chunk.toString()));
  const exited = new Promise((resolve) => prometheus.once("exit", resolve));
  const stop = async () => {
    prometheus.kill("SIGTERM");
    await exited;
    rmSync(dir, { recursive: true, force: true });
  };
  const url = `http://${DEV_HOST}:${port}`;
  try {
    await waitForHttp(`${url}/-/ready`, 60_000, exited);
  } catch (error) {
    await stop();
    throw error;
  }
  return { port, url, log, stop };
}
