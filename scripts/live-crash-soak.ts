/**
 * `node scripts/live-crash-soak.ts [--kills 10] [--shards 1,4]`: the live crash test (scripts/live-crash.ts) with
 * more kills, one layout after another, printing per layout what every viewer got wrong (all zeros when the live
 * stream holds) and how long resumes took next to normal reconnects.
 */
import { parseArgs } from "node:util";
import { runLiveCrash } from "./live-crash.ts";
import type { Transport } from "./live-watcher.ts";

const { values } = parseArgs({
  options: { kills: { type: "string", default: "10" }, shards: { type: "string", default: "1,4" } },
});
const VIEWERS: Transport[] = ["websocket", "sse", "poll", "websocket", "sse", "poll", "websocket", "sse"];

const spread = (list: number[]) => {
  const sorted = [...list].sort((a, b) => a - b);
  const median = sorted[Math.floor(sorted.length / 2)] ?? 0;
  return `median ${median} ms, max ${sorted.at(-1) ?? 0} ms`;
};

let failed = false;
for (const shards of values.shards.split(",").map(Number)) {
  const began = Date.now();
  const report = await runLiveCrash({
    shards,
    viewersPerObject: 2,
    kills: Number(values.kills),
    viewers: VIEWERS,
    devices: 4,
    metrics: 5,
    upMs: [1000, 4000],
    log: (line) => {
      if (line.startsWith("kill")) console.log(`  ${line}`);
    },
  });
  console.log(
    `${shards} shard(s), ${values.kills} kills, ${report.points} points, ${Math.round((Date.now() - began) / 1000)} s`,
  );
  for (const viewer of report.viewers) {
    const { gaps, repeats, overlaps, resets, unnamed } = viewer.faults;
    const wrong = gaps + repeats + overlaps + resets + unnamed + viewer.missing + viewer.duplicated;
    failed ||= wrong + viewer.notResumed > 0;
    console.log(
      `  ${viewer.transport.padEnd(9)} frames ${viewer.frames}, gaps ${gaps}, repeats ${repeats}, overlaps ${overlaps}, resets ${resets}, not resumed ${viewer.notResumed}, points missing ${viewer.missing}, twice ${viewer.duplicated}`,
    );
  }
  console.log(`  normal reconnect: ${spread(report.reconnectMs)}`);
  console.log(`  resume after a crash (from the Worker answering): ${spread(report.crashResumeMs)}`);
  console.log(`  restart of wrangler dev: ${spread(report.restartMs)}`);
}
process.exitCode = failed ? 1 : 0;
