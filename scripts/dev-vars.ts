import { randomBytes } from "node:crypto";
import { appendFileSync, existsSync, readFileSync } from "node:fs";
import { assertSecret } from "../worker/auth/tokens.ts";
import { REPO_ROOT } from "./tools.ts";

/** Local secrets file that `wrangler dev` reads; git-ignored. */
export const DEV_VARS_PATH = `${REPO_ROOT}/.dev.vars`;
const SECRET_KEY = "EDGEPULSE_SECRET";

/** Parses `.dev.vars` text: `KEY=value` lines, `#` comments and blank lines skipped, surrounding quotes removed. */
export function parseDevVars(text: string): Record<string, string> {
  const vars: Record<string, string> = {};
  for (const line of text.split(/\r?\n/)) {
    const match = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*?)\s*$/.exec(line);
    if (!match) continue;
    const raw = match[2]!;
    const quoted = /^(["'])(.*)\1$/.exec(raw);
    vars[match[1]!] = quoted ? quoted[2]! : raw;
  }
  return vars;
}

/** The variables of a `.dev.vars` file, or none when it does not exist. */
export function readDevVars(path = DEV_VARS_PATH): Record<string, string> {
  return existsSync(path) ? parseDevVars(readFileSync(path, "utf8")) : {};
}

/** EDGEPULSE_SECRET from the environment, else from `.dev.vars`; throws an actionable error when neither has one. */
export function readSecret(env: NodeJS.ProcessEnv = process.env, path = DEV_VARS_PATH): string {
  const secret = env[SECRET_KEY] || readDevVars(path)[SECRET_KEY];
  if (!secret) {
    throw new Error(
      `${SECRET_KEY} is not set and ${path} has none: run \`npm run dev\` once, or export ${SECRET_KEY}`,
    );
  }
  assertSecret(secret);
  return secret;
}

/** Adds a random 256-bit EDGEPULSE_SECRET to `.dev.vars` unless one is there; never rewrites existing lines. */
export function ensureDevSecret(path = DEV_VARS_PATH): boolean {
  if (readDevVars(path)[SECRET_KEY]) return false;
  const existing = existsSync(path) ? readFileSync(path, "utf8") : "";
  const separator = existing === "" || existing.endsWith("\n") ? "" : "\n";
  appendFileSync(path, `${separator}${SECRET_KEY}=${randomBytes(32).toString("hex")}\n`, { mode: 0o600 });
  return true;
}
