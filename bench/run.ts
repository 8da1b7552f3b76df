/**
 * `npm run bench [-- ingest|formats|live|live-promql|query|steady|shards|flood|render|memory|promql ...] [--quick] [--profile] [--viewers=200,60]`: starts the benchmark Worker with wrangler dev,
 * runs the scenarios (all by default), prints their tables and stops every process it started.
 */
import { execFileSync } from "node:child_process";
import { cpus, loadavg } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { varsDrift } from "./lib/config-drift.ts";
import { killAllServersNow, stopAllServers } from "./lib/server.ts";
import { stageWorker } from "./lib/stage.ts";
import { randomSecret } from "./lib/tokens.ts";
import type { BenchContext } from "./scenarios/context.ts";
import { floodScenario } from "./scenarios/flood.ts";
import { formatsScenario } from "./scenarios/formats.ts";
import { ingestScenario } from "./scenarios/ingest.ts";
import { liveScenario } from "./scenarios/live.ts";
import { livePromqlScenario } from "./scenarios/live-promql.ts";
import { memoryScenario } from "./scenarios/memory.ts";
import { promqlScenario } from "./scenarios/promql.ts";
import { queryScenario } from "./scenarios/query.ts";
import { renderScenario } from "./scenarios/render.ts";
import { rulesScenario } from "./scenarios/rules.ts";
import { shardsScenario } from "./scenarios/shards.ts";
import { steadyScenario } from "./scenarios/steady.ts";

const SCENARIOS: Record<string, (context: BenchContext) => Promise<void>> = {
  ingest: ingestScenario,
  formats: formatsScenario,
  live: liveScenario,
  "live-promql": livePromqlScenario,
  query: queryScenario,
  steady: steadyScenario,
  shards: shardsScenario,
  flood: floodScenario,
  render: renderScenario,
  memory: memoryScenario,
  promql: promqlScenario,
  rules: rulesScenario,
};

function parseCommandLine(): Omit<BenchContext, "stage" | "secret"> & { names: string[] } {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      quick: { type: "boolean", default: false },
      profile: { type: "boolean", default: false },
      viewers: { type: "string", default: "200,60" },
    },
  });
  for (const name of positionals) {
    if (!(name in SCENARIOS))
      throw new Error(`unknown scenario ${name}; use ${Object.keys(SCENARIOS).join(", ")}`);
  }
  const viewers = values.viewers.split(",").map(Number);
  if (!viewers.every((n) => Number.isInteger(n) && n > 0))
    throw new Error("--viewers takes counts like 200,60");
  return {
    // The 10-minute memory run only when asked for.
    names: positionals.length > 0 ? positionals : Object.keys(SCENARIOS).filter((name) => name !== "memory"),
    quick: values.quick,
    profile: values.profile,
    viewers,
  };
}

function gitHead(root: string): string {
  try {
    return execFileSync("git", ["rev-parse", "--short", "HEAD"], { cwd: root, encoding: "utf8" }).trim();
  } catch {
    return "unknown";
  }
}

function describeRun(
  names: string[],
  options: { quick: boolean; profile: boolean },
  sources: string,
  commit: string,
) {
  const flags = [options.quick ? "quick" : "", options.profile ? "profiled" : ""].filter(Boolean);
  const load = loadavg()
    .map((l) => l.toFixed(2))
    .join(" ");
  return (
    `edgepulse bench: ${names.join(", ")}${flags.length > 0 ? ` (${flags.join(", ")})` : ""}\n` +
    `  commit ${commit}, worker/ sources ${sources}; node ${process.versions.node}, ${cpus().length} cores, load ${load}`
  );
}

async function main(): Promise<void> {
  const { names, ...options } = parseCommandLine();
  const root = fileURLToPath(new URL("..", import.meta.url));
  const startedAt = performance.now();
  const stage = await stageWorker(root);
  const cleanUp = async () => {
    await stopAllServers();
    await stage.remove();
  };
  process.on("exit", killAllServersNow);
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    process.once(signal, () => void cleanUp().finally(() => process.exit(130)));
  }
  console.log(describeRun(names, options, stage.fingerprint, gitHead(root)));
  for (const drift of await varsDrift(join(root, "wrangler.toml"), stage.config))
    console.warn(`  WARNING vars drift: ${drift}`);
  try {
    const context: BenchContext = { stage, secret: randomSecret(), ...options };
    for (const name of names) await SCENARIOS[name]!(context);
  } finally {
    await cleanUp();
  }
  console.log(`\nbench finished in ${((performance.now() - startedAt) / 1000).toFixed(0)} s`);
}

await main();
