import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { findFreePorts, waitForHttp } from "../../scripts/net.ts";
import { BUCKETED_POINTS, PER_SECOND, remoteWriteBody } from "../non-finite-samples.ts";

const HOST = "127.0.0.1";

/** Runs `body` against Debian's Prometheus with its remote write receiver on a free port, stopped after. */
async function withPrometheus(body: (base: string) => Promise<void>): Promise<void> {
  const [port] = (await findFreePorts(HOST, 1)) as [number];
  const dir = mkdtempSync(join(tmpdir(), "edgepulse-prometheus-"));
  writeFileSync(join(dir, "prometheus.yml"), "global: {}\n");
  const prometheus = spawn(
    "prometheus",
    [
      `--config.file=${join(dir, "prometheus.yml")}`,
      `--storage.tsdb.path=${join(dir, "data")}`,
      `--web.listen-address=${HOST}:${port}`,
      "--web.enable-remote-write-receiver",
    ],
    { stdio: "ignore" },
  );
  const exited = new Promise((resolve) => prometheus.once("exit", resolve));
  try {
    const base = `http://${HOST}:${port}`;
    await waitForHttp(`${base}/-/ready`, 30_000, exited);
    await body(base);
  } finally {
    prometheus.kill("SIGTERM");
    await exited;
    rmSync(dir, { recursive: true, force: true });
  }
}

async function query(
  base: string,
  expr: string,
  timeMs: number,
): Promise<Array<{ value: [number, string] }>> {
  const url = `${base}/api/v1/query?query=${encodeURIComponent(expr)}&time=${timeMs / 1000}`;
  const answer = (await (await fetch(url)).json()) as {
    data: { result: Array<{ value: [number, string] }> };
  };
  return answer.data.result;
}

describe("Debian's Prometheus on the samples the board's rollup tests use", () => {
  it("answers each 1 s bucket's count, avg, min, max and last as the board's history does, and ends the series at the marker", async () => {
    await withPrometheus(async (base) => {
      const now = Date.now() - 300_000;
      const start = now - (now % 60_000);
      const body = remoteWriteBody(
        "m",
        BUCKETED_POINTS.map(([offset, value]) => [start + offset, value]),
      );
      const written = await fetch(`${base}/api/v1/write`, {
        method: "POST",
        headers: {
          "content-type": "application/x-protobuf",
          "content-encoding": "snappy",
          "x-prometheus-remote-write-version": "0.1.0",
        },
        body,
      });
      expect(written.status).toBe(204);
      const functions = {
        count: "count_over_time",
        avg: "avg_over_time",
        min: "min_over_time",
        max: "max_over_time",
        last: "last_over_time",
      } as const;
      for (const [column, fn] of Object.entries(functions) as Array<[keyof typeof PER_SECOND, string]>) {
        const answers: Array<string | number> = [];
        for (let second = 0; second < PER_SECOND.count.length; second++) {
          // [t - 999 ms, t] is exactly the 1 s bucket starting at `start + second * 1000`.
          const [sample] = await query(base, `${fn}(m[999ms])`, start + second * 1000 + 999);
          const text = sample!.value[1];
          answers.push(/^[+-]?Inf$|^NaN$/.test(text) ? text : Number(text));
        }
        expect(answers, column).toEqual(PER_SECOND[column]);
      }
      expect(await query(base, "m", start + 4050)).toHaveLength(1);
      expect(await query(base, "m", start + 4100)).toEqual([]);
    });
  });
});
