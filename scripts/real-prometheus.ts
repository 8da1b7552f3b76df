/**
 * Debian's real Prometheus as a reference next to `wrangler dev`: started with its remote write receiver on a free
 * local port and a temporary storage dir, fed the same remote write bodies as a board, and stopped (dir removed).
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { create, toBinary } from "@bufbuild/protobuf";
import { compress } from "snappyjs";
import { WriteRequestSchema } from "../worker/formats/gen/prometheus/remote_pb.ts";
import { findFreePorts, waitForHttp } from "./net.ts";
import { DEV_HOST } from "./tools.ts";

/** A series as remote write carries it: labels with `__name__`, samples as [value, ms]. */
export interface WrittenSeries {
  labels: Record<string, string>;
  samples: Array<[value: number, ts: number]>;
}

/** A snappy-compressed WriteRequest, as Prometheus's remote write sends it. */
export function remoteWriteBody(series: WrittenSeries[]): Uint8Array<ArrayBuffer> {
  const message = create(WriteRequestSchema, {
    timeseries: series.map((s) => ({
      labels: Object.entries(s.labels).map(([name, value]) => ({ name, value })),
      samples: s.samples.map(([value, timestamp]) => ({ value, timestamp: BigInt(timestamp) })),
    })),
  });
  return new Uint8Array(compress(toBinary(WriteRequestSchema, message)));
}

/** POSTs a remote write body; throws unless the receiver answers 2xx. */
export async function remoteWrite(
  url: string,
  body: Uint8Array<ArrayBuffer>,
  credential?: string,
): Promise<void> {
  const response = await fetch(url, {
    method: "POST",
    headers: {
      "content-type": "application/x-protobuf",
      "content-encoding": "snappy",
      "x-prometheus-remote-write-version": "0.1.0",
      ...(credential ? { authorization: `Bearer ${credential}` } : {}),
    },
    body,
  });
  if (!response.ok) throw new Error(`remote write to ${url}: ${response.status} ${await response.text()}`);
}

export interface RealPrometheus {
  port: number;
  /** Its base URL, e.g. http://127.0.0.1:9123. */
  url: string;
  /** What it logged, for failure messages. */
  log: string[];
  stop(): Promise<void>;
}

/** What to start it with: its config (YAML lines, given its own port so it can scrape itself). */
export interface PrometheusOptions {
  config?: (port: number) => string[];
}

/**
 * Starts Prometheus with its remote write receiver (and, by default, no scraping) and waits until its storage is
 * open and it answers ready.
 */
export async function startRealPrometheus(options: PrometheusOptions = {}): Promise<RealPrometheus> {
  const [port] = (await findFreePorts(DEV_HOST, 1)) as [number];
  const dir = mkdtempSync(join(tmpdir(), "edgepulse-real-prometheus-"));
  const config = join(dir, "prometheus.yml");
  const lines = options.config?.(port) ?? ["global: { scrape_interval: 1m }", "scrape_configs: []"];
  writeFileSync(config, `${lines.join("\n")}\n`);
  const log: string[] = [];
  const child: ChildProcess = spawn(
    "prometheus",
    [
      `--config.file=${config}`,
      `--storage.tsdb.path=${join(dir, "data")}`,
      `--web.listen-address=${DEV_HOST}:${port}`,
      "--web.enable-remote-write-receiver",
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
    // It answers 503 until its storage is open.
    for (let tries = 0; !(await fetch(`${url}/-/ready`)).ok; tries++) {
      if (tries > 100) throw new Error("not ready after 25 s");
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  } catch (error) {
    await stop();
    throw new Error(`prometheus did not start: ${(error as Error).message}\n${log.join("").slice(-2000)}`);
  }
  return { port, url, log, stop };
}
