import { EdgepulseClient } from "../client/src/index.ts";
import { mintToken } from "./mint-token.ts";
import {
  type DeviceSignals,
  initialSignals,
  METRIC_META,
  nextSignals,
  type Random,
  readings,
} from "./signals.ts";

export interface SimulationOptions {
  /** Where the Worker listens, e.g. `http://127.0.0.1:8787`. */
  url: string;
  board: string;
  devices: number;
  intervalMs: number;
  /** Extra channels per device (`channel_1`…), besides its four sensor readings: for boards of many series. */
  channels?: number;
  /** Signs each device's own token. */
  secret: string;
  log?: (line: string) => void;
  random?: Random;
}

export interface Simulation {
  /** Samples the Worker stored so far (each is one batch of every reading a device takes). */
  readonly accepted: number;
  /** Samples refused, or dropped undelivered. */
  readonly failed: number;
  /** Stops every device once what it recorded is delivered (waiting at most a few seconds). */
  stop(): Promise<void>;
}

/** How long stopping waits for undelivered samples. */
const STOP_TIMEOUT_MS = 5_000;

/**
 * Starts `devices` simulated sensors (`sensor-1`…), staggered, each taking a sample every `intervalMs` and sending
 * it through the device client (`client/`), which retries what the Worker could not take.
 */
export async function startSimulation(options: SimulationOptions): Promise<Simulation> {
  const { log = console.log, random = Math.random } = options;
  const stopping = new AbortController();
  const counts = { accepted: 0, failed: 0 };
  const devices = await Promise.all(
    Array.from({ length: options.devices }, async (_, index) => {
      const name = `sensor-${index + 1}`;
      const token = await mintToken(options.secret, { kind: "device", board: options.board, device: name });
      const client = new EdgepulseClient({
        url: options.url,
        token,
        retryMaxMs: 5_000,
        onRejected: ({ status, error }) => log(`${name}: refused with ${status} ${error?.code ?? ""}`),
      });
      return { name, client, startDelayMs: (index * options.intervalMs) / options.devices };
    }),
  );
  const loops = devices.map((device) => runDevice(device, options, random, stopping.signal, counts, log));
  return {
    get accepted() {
      return counts.accepted;
    },
    get failed() {
      return counts.failed;
    },
    async stop() {
      stopping.abort();
      await Promise.all(loops);
    },
  };
}

async function runDevice(
  device: { name: string; client: EdgepulseClient; startDelayMs: number },
  options: SimulationOptions,
  random: Random,
  stopping: AbortSignal,
  counts: { accepted: number; failed: number },
  log: (line: string) => void,
): Promise<void> {
  const { client } = device;
  let signals: DeviceSignals = initialSignals(random);
  let retriesSeen = 0;
  await pause(device.startDelayMs, stopping);
  while (!stopping.aborted) {
    const started = Date.now();
    signals = nextSignals(signals, random);
    const sample = readings(signals);
    for (const [metric, value] of Object.entries(sample))
      client.record(metric, value, { ts: started, ...METRIC_META[metric] });
    // Channels follow the temperature at fixed offsets: cheap, and each one still draws a distinct line.
    for (let channel = 1; channel <= (options.channels ?? 0); channel++)
      client.record(`channel_${channel}`, sample.temp_c! + channel, { ts: started });
    const before = { ...client.stats };
    await client.flush();
    if (client.stats.delivered > before.delivered) counts.accepted++;
    else counts.failed++;
    // One line when a device starts retrying, not one per attempt.
    if (client.stats.retries > retriesSeen && retriesSeen === before.retries) log(`${device.name}: retrying`);
    retriesSeen = client.stats.retries;
    await pause(options.intervalMs - (Date.now() - started), stopping);
  }
  await client.close(STOP_TIMEOUT_MS);
}

/** Waits `ms`, or less when stopping. */
function pause(ms: number, stopping: AbortSignal): Promise<void> {
  if (stopping.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      stopping.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, Math.max(0, ms));
    stopping.addEventListener("abort", done, { once: true });
  });
}
