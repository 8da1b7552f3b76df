/**
 * `npm run dev [-- --port N]`: builds the dashboard, runs the Worker locally with simulated devices, prints the
 * dashboard URL. The port is `--port`, else `PORT`, else 8787. Ctrl-C stops everything it started.
 */
import { parseArgs } from "node:util";
import { DEV_VARS_PATH, ensureDevSecret, readSecret } from "./dev-vars.ts";
import { mintToken } from "./mint-token.ts";
import { portIsFree, waitForHttp } from "./net.ts";
import { type GroupProcess, startGroup } from "./processes.ts";
import { type Simulation, startSimulation } from "./simulation.ts";
import {
  DEV_BOARD,
  DEV_DEVICES,
  DEV_HOST,
  DEV_INTERVAL_MS,
  DEV_PORT,
  viteBuild,
  wranglerDev,
} from "./tools.ts";

/** The port from `--port`, else `PORT`, else the default; throws a message naming the bad value. */
function devPort(): number {
  const { values } = parseArgs({ options: { port: { type: "string" } }, strict: true });
  const raw = values.port ?? process.env.PORT ?? String(DEV_PORT);
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 1 || port > 65_535)
    throw new Error(`the port must be a number from 1 to 65535, got "${raw}"`);
  return port;
}
const READY_TIMEOUT_MS = 60_000;
/**
 * Lines of wrangler's output that would bury everything else: a log line per accepted post (the simulator makes a
 * dozen a second), and its complaints about having no internet (it cannot fetch Request.cf data; harmless), stack
 * line included.
 */
const QUIET_LINES = [
  /POST \/api\/v1\/ingest 202\b/,
  /ENOTFOUND workers\.cloudflare\.com/,
  /Request\.cf/,
  /at GetAddrInfoReqWrap/,
];

function prefixed(prefix: string): (line: string) => void {
  return (line) => console.log(`${prefix} ${line}`);
}

/** The demo board's alert rule: the simulated CPUs burst past 70 % now and then, so it fires within a minute. */
const DEMO_RULE = { name: "CPU busy", series: "*:cpu_pct", op: ">", threshold: 70, forMs: 2_000 };

/** Adds the demo rule unless the board has a rule of that name (a restart keeps the board's rules). */
async function ensureDemoRule(baseUrl: string, adminToken: string): Promise<void> {
  const url = `${baseUrl}/api/v1/boards/${DEV_BOARD}/alerts`;
  const headers = { authorization: `Bearer ${adminToken}`, "content-type": "application/json" };
  const { rules } = (await (await fetch(url, { headers })).json()) as { rules: Array<{ name: string }> };
  if (rules.some((rule) => rule.name === DEMO_RULE.name)) return;
  const created = await fetch(url, { method: "POST", headers, body: JSON.stringify(DEMO_RULE) });
  if (created.status !== 201) throw new Error(`could not add the demo alert rule: ${await created.text()}`);
  console.log(`[dev] added the alert rule "${DEMO_RULE.name}": ${DEMO_RULE.series} > 70 for 2 s`);
}

const running: { build?: GroupProcess; wrangler?: GroupProcess; simulation?: Simulation } = {};
let shuttingDown = false;

async function shutdown(exitCode: number): Promise<never> {
  if (!shuttingDown) {
    shuttingDown = true;
    console.log("[dev] stopping…");
    await running.simulation?.stop();
    await Promise.all([running.build?.stop(), running.wrangler?.stop()]);
  }
  process.exit(exitCode);
}

process.on("SIGINT", () => void shutdown(0));
process.on("SIGTERM", () => void shutdown(0));

async function main(): Promise<void> {
  const port = devPort();
  const baseUrl = `http://${DEV_HOST}:${port}`;
  // Another server on the port would answer our readiness check and take the simulator's posts.
  if (!(await portIsFree(DEV_HOST, port)))
    throw new Error(
      `port ${port} is already in use (another \`npm run dev\` or wrangler?). Stop it, or run: npm run dev -- --port ${port + 1}`,
    );
  if (ensureDevSecret()) console.log(`[dev] wrote a new EDGEPULSE_SECRET to ${DEV_VARS_PATH}`);
  // wrangler reads .dev.vars, not our environment: sign with the same secret it will verify with.
  const secret = readSecret({}, DEV_VARS_PATH);

  running.build = startGroup(viteBuild(), { output: prefixed("[vite]") });
  const buildCode = await running.build.exited;
  if (buildCode !== 0) throw new Error(`dashboard build failed (exit ${buildCode})`);

  running.wrangler = startGroup(wranglerDev(port), {
    output: (line) => {
      if (!QUIET_LINES.some((quiet) => quiet.test(line))) console.log(`[wrangler] ${line}`);
    },
  });
  void running.wrangler.exited.then((code) => {
    if (shuttingDown) return;
    console.error(`[dev] wrangler exited (${code}); stopping`);
    void shutdown(code || 1);
  });
  await waitForHttp(`${baseUrl}/`, READY_TIMEOUT_MS, running.wrangler.exited);

  running.simulation = await startSimulation({
    url: baseUrl,
    board: DEV_BOARD,
    devices: DEV_DEVICES,
    intervalMs: DEV_INTERVAL_MS,
    secret,
    log: prefixed("[sim]"),
  });
  const viewerToken = await mintToken(secret, { kind: "viewer", board: DEV_BOARD });
  const adminToken = await mintToken(secret, { kind: "admin", board: DEV_BOARD });
  await ensureDemoRule(baseUrl, adminToken);
  console.log(`\nDashboard: ${baseUrl}/#board=${DEV_BOARD}&token=${viewerToken}`);
  console.log(
    `As admin (adds and deletes alert rules): ${baseUrl}/#board=${DEV_BOARD}&token=${adminToken}\n`,
  );
  console.log(
    `[dev] ${DEV_DEVICES} simulated devices post every ${DEV_INTERVAL_MS} ms. Ctrl-C stops everything.`,
  );
}

main().catch((error: Error) => {
  console.error(`[dev] ${error.message}`);
  void shutdown(1);
});
