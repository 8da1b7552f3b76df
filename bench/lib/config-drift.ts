import { readFile } from "node:fs/promises";

/** `KEY = "value"` lines of a TOML file's `[vars]` table (the only shape our configs use there). */
function vars(toml: string): Map<string, string> {
  const found = new Map<string, string>();
  let inVars = false;
  for (const line of toml.split("\n")) {
    const trimmed = line.trim();
    if (trimmed.startsWith("[")) inVars = trimmed === "[vars]";
    const match = inVars ? /^([A-Za-z_][A-Za-z0-9_]*)\s*=\s*"(.*)"$/.exec(trimmed) : null;
    if (match) found.set(match[1]!, match[2]!);
  }
  return found;
}

/** Differences between the `[vars]` of the app's config and the benchmark's, as readable lines. */
export async function varsDrift(appConfig: string, benchConfig: string): Promise<string[]> {
  const app = vars(await readFile(appConfig, "utf8"));
  const bench = vars(await readFile(benchConfig, "utf8"));
  const drift: string[] = [];
  for (const [key, value] of app) {
    if (bench.get(key) !== value)
      drift.push(`${key}: wrangler.toml "${value}", bench "${bench.get(key) ?? "(missing)"}"`);
  }
  for (const key of bench.keys()) if (!app.has(key)) drift.push(`${key}: only in the bench config`);
  return drift;
}
