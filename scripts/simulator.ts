/**
 * Simulated devices posting to a local Worker: `npm run simulate -- --devices 5 --interval 100`.
 * Stops cleanly on Ctrl-C.
 */
import { parseArgs } from "node:util";
import { BOARD_PATTERN } from "../worker/auth/tokens.ts";
import { readSecret } from "./dev-vars.ts";
import { startSimulation } from "./simulation.ts";
import { DEV_BOARD, DEV_DEVICES, DEV_HOST, DEV_INTERVAL_MS, DEV_PORT } from "./tools.ts";

const USAGE = `usage: npm run simulate -- [--url http://${DEV_HOST}:${DEV_PORT}] [--board ${DEV_BOARD}] [--devices ${DEV_DEVICES}] [--interval ${DEV_INTERVAL_MS}] [--channels 0]`;

function fail(message: string, exitCode: number): never {
  console.error(`simulator: ${message}`);
  process.exit(exitCode);
}

function positiveInteger(text: string, name: string): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1) fail(`--${name} must be a positive integer\n${USAGE}`, 2);
  return value;
}

function readOptions() {
  try {
    return parseArgs({
      options: {
        url: { type: "string", default: `http://${DEV_HOST}:${DEV_PORT}` },
        board: { type: "string", default: DEV_BOARD },
        devices: { type: "string", default: String(DEV_DEVICES) },
        interval: { type: "string", default: String(DEV_INTERVAL_MS) },
        channels: { type: "string", default: "0" },
      },
    }).values;
  } catch (error) {
    fail(`${(error as Error).message}\n${USAGE}`, 2);
  }
}

function readSecretOrExit(): string {
  try {
    return readSecret();
  } catch (error) {
    fail((error as Error).message, 1);
  }
}

const options = readOptions();
if (!BOARD_PATTERN.test(options.board)) fail(`--board must match ${BOARD_PATTERN}\n${USAGE}`, 2);
const devices = positiveInteger(options.devices, "devices");
const intervalMs = positiveInteger(options.interval, "interval");
const url = options.url.replace(/\/+$/, "");
const simulation = await startSimulation({
  url,
  board: options.board,
  devices,
  intervalMs,
  channels: options.channels === "0" ? 0 : positiveInteger(options.channels, "channels"),
  secret: readSecretOrExit(),
});
console.log(
  `simulating ${devices} device${devices === 1 ? "" : "s"} on board ${options.board}, posting to ${url} every ${intervalMs} ms`,
);

const stop = async () => {
  await simulation.stop();
  console.log(`stopped after ${simulation.accepted} accepted and ${simulation.failed} failed posts`);
};
process.once("SIGINT", stop);
process.once("SIGTERM", stop);
