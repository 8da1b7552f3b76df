import { mintToken } from "./mint-token.ts";
import { type DeviceSignals, initialSignals, nextSignals, type Random, readings } from "./signals.ts";

export interface SimulationOptions {
  /** Where the Worker listens, e.g. `http://127.0.0.1:8787`. */
  url: string;
  board: string;
  devices: number;
  intervalMs: number;
  /** Signs each device's own token. */
  secret: string;
  log?: (line: string) => void;
  random?: Random;
}

export interface Simulation {
  /** Batches the Worker accepted so far. */
  readonly accepted: number;
  /** Posts that failed or were refused so far. */
  readonly failed: number;
  /** Stops every device once its post in flight is answered (so `accepted` counts every stored batch). */
  stop(): Promise<void>;
}

const POST_TIMEOUT_MS = 5_000;

interface DeviceRun {
  name: string;
  token: string;
  startDelayMs: number;
}

/** Starts `devices` simulated sensors (`sensor-1`…) posting to the board every `intervalMs`, staggered. */
export async function startSimulation(options: SimulationOptions): Promise<Simulation> {
  const { log = console.log, random = Math.random } = options;
  const stopping = new AbortController();
  const counts = { accepted: 0, failed: 0 };
  const runs: DeviceRun[] = await Promise.all(
    Array.from({ length: options.devices }, async (_, index) => {
      const name = `sensor-${index + 1}`;
      const token = await mintToken(options.secret, { kind: "device", board: options.board, device: name });
      return { name, token, startDelayMs: (index * options.intervalMs) / options.devices };
    }),
  );
  const loops = runs.map((run) => runDevice(run, { ...options, log, random }, stopping.signal, counts));
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
  run: DeviceRun,
  options: SimulationOptions & { log: (line: string) => void; random: Random },
  stopping: AbortSignal,
  counts: { accepted: number; failed: number },
): Promise<void> {
  let signals: DeviceSignals = initialSignals(options.random);
  let lastProblem: string | null = null;
  await pause(run.startDelayMs, stopping);
  while (!stopping.aborted) {
    const started = Date.now();
    signals = nextSignals(signals, options.random);
    const problem = await post(options.url, run.token, { metrics: readings(signals), ts: started });
    if (problem === null) counts.accepted++;
    else counts.failed++;
    // One line per change of condition, not one per failed tick.
    if (problem !== null && problem !== lastProblem) options.log(`${run.name}: ${problem}; retrying`);
    if (problem === null && lastProblem !== null) options.log(`${run.name}: posting again`);
    lastProblem = problem;
    await pause(options.intervalMs - (Date.now() - started), stopping);
  }
}

/** POSTs one batch; null when accepted, else what went wrong. */
async function post(baseUrl: string, token: string, body: unknown): Promise<string | null> {
  try {
    const response = await fetch(`${baseUrl}/api/v1/ingest`, {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(POST_TIMEOUT_MS),
    });
    const text = await response.text();
    return response.status === 202 ? null : `ingest answered ${response.status} ${text}`;
  } catch (error) {
    // fetch() reports "fetch failed"; the reason (ECONNREFUSED, bad port…) is in its cause.
    const cause = (error as Error).cause as { code?: string; message?: string } | undefined;
    const reason = cause?.code ?? cause?.message;
    return `ingest failed: ${(error as Error).message}${reason ? ` (${reason})` : ""}`;
  }
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
