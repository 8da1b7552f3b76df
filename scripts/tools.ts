import { fileURLToPath } from "node:url";

/** Absolute path of the repository, whatever the working directory. */
export const REPO_ROOT = fileURLToPath(new URL("..", import.meta.url)).replace(/\/$/, "");

/** Local dev defaults, shared by `npm run dev` and the simulator. */
export const DEV_HOST = "127.0.0.1";
export const DEV_PORT = 8787;
export const DEV_BOARD = "demo";
export const DEV_DEVICES = 3;
export const DEV_INTERVAL_MS = 250;

/** A Node command line: the tools run under the same Node as the caller, not whatever `node` is on PATH. */
export interface NodeCommand {
  command: string;
  args: string[];
  /** wrangler finds wrangler.toml, and .dev.vars, in its working directory. */
  cwd: string;
}

function nodeBin(script: string, args: string[]): NodeCommand {
  return {
    command: process.execPath,
    args: [`${REPO_ROOT}/node_modules/${script}`, ...args],
    cwd: REPO_ROOT,
  };
}

/** `vite build` of the dashboard into dashboard/dist. */
export function viteBuild(): NodeCommand {
  return nodeBin("vite/bin/vite.js", ["build", `${REPO_ROOT}/dashboard`]);
}

/** `wrangler dev` on a local address; extra flags (vars, persistence) appended. */
export function wranglerDev(port: number, extra: string[] = []): NodeCommand {
  return nodeBin("wrangler/bin/wrangler.js", [
    "dev",
    "--ip",
    DEV_HOST,
    "--port",
    String(port),
    "--show-interactive-dev-session=false",
    ...extra,
  ]);
}
