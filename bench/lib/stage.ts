import { createHash } from "node:crypto";
import { cp, mkdtemp, readdir, readFile, rm, symlink } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** What the benchmark Worker is built from: copied so edits made during a run neither reload nor change it. */
const SOURCES = ["worker", "bench/worker.ts", "bench/baselines", "bench/wrangler.bench.toml"];

/** A private copy of the Worker sources; `wrangler dev` watches these files, so it must not watch the repo's. */
export interface Stage {
  dir: string;
  config: string;
  /** Short hash of the copied sources, to tell which code a run measured. */
  fingerprint: string;
  remove(): Promise<void>;
}

async function listFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath, entry.name))
    .sort();
}

async function hashFiles(root: string, files: string[]): Promise<string> {
  const hash = createHash("sha256");
  for (const file of files) {
    hash.update(file.slice(root.length));
    hash.update(await readFile(file));
  }
  return hash.digest("hex").slice(0, 12);
}

/** Copies the Worker sources of `root` into a temporary directory that shares `root`'s node_modules. */
export async function stageWorker(root: string): Promise<Stage> {
  const dir = await mkdtemp(join(tmpdir(), "edgepulse-bench-"));
  for (const source of SOURCES) await cp(join(root, source), join(dir, source), { recursive: true });
  await symlink(join(root, "node_modules"), join(dir, "node_modules"), "dir");
  const fingerprint = await hashFiles(dir, await listFiles(join(dir, "worker")));
  return {
    dir,
    config: join(dir, "bench/wrangler.bench.toml"),
    fingerprint,
    remove: () => rm(dir, { recursive: true, force: true }),
  };
}
