/// <reference path="../../../worker/formats/snappyjs.d.ts" />
/** Debian's real Prometheus on a free port and a temp dir, fed by remote write and asked through its HTTP API. */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { create, toBinary } from "@bufbuild/protobuf";
import { compress } from "snappyjs";
import { findFreePorts, waitForHttp } from "../../../scripts/net.ts";
import { type GroupProcess, startGroup } from "../../../scripts/processes.ts";
import { WriteRequestSchema } from "../../../worker/formats/gen/prometheus/remote_pb.ts";
import type { StoredSeries } from "./memory-querier.ts";

export interface PrometheusServer {
  readonly url: string;
  write(series: readonly StoredSeries[]): Promise<void>;
  /** GET an API path with query parameters; the parsed JSON body, whatever the status. */
  api(path: string, params: Record<string, string>): Promise<unknown>;
  stop(): Promise<void>;
}

/** A float no generated series holds, written in place of staleness markers and then patched to their bits. */
const STALE_SENTINEL = -1.2345678901234e-299;

function littleEndianBytes(write: (view: DataView) => void): Uint8Array {
  const bytes = new Uint8Array(8);
  write(new DataView(bytes.buffer));
  return bytes;
}

/**
 * Encodes a WriteRequest with staleness markers as the NaN with bits 0x7ff0000000000002. A JavaScript number may not
 * keep a NaN's payload, so the marker's bytes are written into the encoded message directly.
 */
export function encodeWriteRequest(series: readonly StoredSeries[]): Uint8Array {
  const request = create(WriteRequestSchema, {
    timeseries: series.map((s) => ({
      labels: Object.entries(s.labels)
        .sort(([a], [b]) => (a < b ? -1 : 1))
        .map(([name, value]) => ({ name, value })),
      samples: s.samples.map((p) => ({ value: p.stale ? STALE_SENTINEL : p.v, timestamp: BigInt(p.t) })),
    })),
  });
  const bytes = toBinary(WriteRequestSchema, request);
  const sentinel = littleEndianBytes((v) => v.setFloat64(0, STALE_SENTINEL, true));
  const stale = littleEndianBytes((v) => v.setBigUint64(0, 0x7ff0000000000002n, true));
  // Field 1 of Sample (value, a double) is tagged 0x09.
  for (let i = 0; i + 9 <= bytes.length; i++) {
    if (bytes[i] === 0x09 && sentinel.every((b, j) => bytes[i + 1 + j] === b)) bytes.set(stale, i + 1);
  }
  return bytes;
}

export async function startPrometheus(log: (line: string) => void = () => {}): Promise<PrometheusServer> {
  const dir = await mkdtemp(join(tmpdir(), "edgepulse-prometheus-"));
  const [port] = await findFreePorts("127.0.0.1", 1);
  const config = join(dir, "prometheus.yml");
  await writeFile(config, "global:\n  evaluation_interval: 1m\n");
  const url = `http://127.0.0.1:${port}`;
  let server: GroupProcess | undefined;
  const stop = async () => {
    await server?.stop();
    await rm(dir, { recursive: true, force: true });
  };
  try {
    server = startGroup(
      {
        command: "prometheus",
        args: [
          "--web.enable-remote-write-receiver",
          `--storage.tsdb.path=${join(dir, "data")}`,
          `--web.listen-address=127.0.0.1:${port}`,
          `--config.file=${config}`,
        ],
        cwd: dir,
      },
      { output: log },
    );
    await waitForHttp(`${url}/-/ready`, 30_000, server.exited);
    // It answers 503 until the TSDB is open.
    while ((await fetch(`${url}/-/ready`)).status !== 200) await new Promise((r) => setTimeout(r, 100));
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    url,
    async write(series) {
      const response = await fetch(`${url}/api/v1/write`, {
        method: "POST",
        headers: {
          "Content-Encoding": "snappy",
          "Content-Type": "application/x-protobuf",
          "X-Prometheus-Remote-Write-Version": "0.1.0",
        },
        body: compress(encodeWriteRequest(series)),
      });
      if (!response.ok) throw new Error(`remote write: ${response.status} ${await response.text()}`);
    },
    async api(path, params) {
      const response = await fetch(`${url}${path}?${new URLSearchParams(params)}`);
      return response.json();
    },
    stop,
  };
}
