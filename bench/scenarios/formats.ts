import { type ClosedLoopResult, runClosedLoop } from "../lib/closed-loop.ts";
import { type CpuPercent, measureCpu } from "../lib/cpu.ts";
import { encode, FORMATS, type FormatName } from "../lib/formats.ts";
import { HttpClient } from "../lib/http.ts";
import { METRICS_PER_DEVICE, makePoints } from "../lib/points.ts";
import { awaitQuietMachine } from "../lib/quiet.ts";
import { startServer } from "../lib/server.ts";
import { num, printTable, ratio } from "../lib/table.ts";
import { Ingestor, type StoreStats, statsDelta } from "../lib/targets.ts";
import { mintToken } from "../lib/tokens.ts";
import type { BenchContext } from "./context.ts";

const BATCH = 1000;
const CONCURRENCY = 8;
const DEVICES = 4;
const BODY_VARIANTS = 8;

interface Measurement {
  format: FormatName;
  result: ClosedLoopResult;
  cpu: CpuPercent;
  bytesPerPoint: number;
  rowsPerRequest: number;
}

/** The same 1,000-point batches sent in each format the app takes, one board per format. */
export async function formatsScenario(context: BenchContext): Promise<void> {
  const server = await startServer(context.stage, context.secret);
  const client = new HttpClient(server.origin, CONCURRENCY);
  const ingestor = new Ingestor(client, context.secret);
  const measurements: Measurement[] = [];
  try {
    for (const format of FORMATS) {
      const board = `formats-${format.replaceAll(" ", "-")}`;
      const tokens = await Promise.all(
        Array.from({ length: DEVICES }, (_, d) => mintToken(context.secret, "device", board, `host-${d}`)),
      );
      const now = Date.now();
      const samples = BATCH / METRICS_PER_DEVICE;
      const variants = Array.from({ length: BODY_VARIANTS }, () =>
        encode(
          format,
          board,
          makePoints(BATCH, (k) => now - (samples - 1 - k) * 1000),
        ),
      );
      let sent = 0;
      let endCpu: (() => CpuPercent) | undefined;
      let cpu: CpuPercent | undefined;
      let statsAt: Array<Promise<StoreStats>> = [];
      await awaitQuietMachine();
      const result = await runClosedLoop(
        {
          concurrency: CONCURRENCY,
          warmupMs: context.quick ? 500 : 2000,
          durationMs: context.quick ? 2000 : 8000,
          onWindow: (edge) => {
            statsAt.push(ingestor.stats("real", board));
            if (edge === "start") endCpu = measureCpu(server);
            else cpu = endCpu?.();
          },
        },
        async (slot) => {
          const { path, headers, body } = variants[sent++ % BODY_VARIANTS]!;
          const authorization = `Bearer ${tokens[slot % DEVICES]}`;
          try {
            const response = await client.send("POST", path, { ...headers, authorization }, body);
            const ok = response.status >= 200 && response.status < 300;
            return { ok, status: response.status, points: BATCH };
          } catch {
            return { ok: false, status: 0, points: BATCH };
          }
        },
      );
      const [before, after] = await Promise.all(statsAt);
      statsAt = [];
      const rows = statsDelta(before!, after!);
      const bytes = variants.reduce((sum, v) => sum + v.body.byteLength, 0) / BODY_VARIANTS;
      measurements.push({
        format,
        result,
        cpu: cpu!,
        bytesPerPoint: bytes / BATCH,
        rowsPerRequest: rows.rowsWritten / rows.requests,
      });
      console.log(
        `  format ${format}: ${num(result.points / result.seconds)} pts/s (${result.failed} failed)`,
      );
    }
  } finally {
    client.close();
    await server.stop();
  }
  const micros = (m: Measurement) => ((m.cpu.app / 100) * m.result.seconds * 1e6) / m.result.points;
  const json = measurements.find((m) => m.format === "json")!;
  printTable(
    `Ingest formats: the same ${num(BATCH)}-point batches (4 devices x 50 metrics), closed loop, ${CONCURRENCY} in flight`,
    ["format", "points/s", "vs JSON", "app us/pt", "us/pt vs JSON", "request B/pt", "rows/req", "failed"],
    measurements.map((m) => [
      m.format,
      num(m.result.points / m.result.seconds),
      ratio(m.result.points / m.result.seconds, json.result.points / json.result.seconds),
      num(micros(m), 2),
      ratio(micros(m), micros(json)),
      num(m.bytesPerPoint, 1),
      num(m.rowsPerRequest, 3),
      num(m.result.failed),
    ]),
    [
      "app us/pt: CPU of the workerd running the Worker and objects, per accepted point (parsing, validation, storing).",
      "request B/pt: body bytes per point as sent (remote write is snappy-compressed; the others are not compressed).",
      "Every format ends in the same stored batch: one log row per request.",
    ],
  );
}
