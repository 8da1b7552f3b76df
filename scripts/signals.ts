/**
 * The simulated sensors: pure steps from one reading to the next, one per metric.
 * Randomness is injected so tests can replay a sequence.
 */

/** Uniform numbers in [0, 1), like Math.random. */
export type Random = () => number;

export interface DeviceSignals {
  /** Where this device's temperature settles, °C. */
  temperatureBase: number;
  /** Slow wander away from the base, °C; reverts towards 0. */
  temperatureDrift: number;
  temperature: number;
  cpuPercent: number;
  /** Ticks left in the current CPU burst; 0 while idle. */
  burstTicksLeft: number;
  requestsTotal: number;
  humidityPercent: number;
}

const MAX_DRIFT = 3;
const BURST_CHANCE = 0.015;
const HUMIDITY_MEAN = 45;

function clamp(value: number, min: number, max: number): number {
  return Math.min(max, Math.max(min, value));
}

/** Centered uniform noise in [-amplitude, amplitude). */
function noise(random: Random, amplitude: number): number {
  return (random() * 2 - 1) * amplitude;
}

/** A device's starting point; bases differ so devices are told apart on a chart. */
export function initialSignals(random: Random): DeviceSignals {
  const temperatureBase = 19 + random() * 6;
  return {
    temperatureBase,
    temperatureDrift: 0,
    temperature: temperatureBase,
    cpuPercent: 10,
    burstTicksLeft: 0,
    requestsTotal: 0,
    humidityPercent: HUMIDITY_MEAN + noise(random, 10),
  };
}

/** Drift walks slowly and reverts to 0; the reading adds sensor noise on top. */
export function nextTemperature(
  base: number,
  drift: number,
  random: Random,
): { drift: number; temperature: number } {
  const nextDrift = clamp(drift * 0.995 + noise(random, 0.04), -MAX_DRIFT, MAX_DRIFT);
  return { drift: nextDrift, temperature: base + nextDrift + noise(random, 0.15) };
}

/** Idles around 8–20 % and now and then bursts to 70–98 % for 2–10 s (at 4 ticks/s). */
export function nextCpu(
  cpu: number,
  burstTicksLeft: number,
  random: Random,
): { cpu: number; burstTicksLeft: number } {
  let ticksLeft = burstTicksLeft > 0 ? burstTicksLeft - 1 : 0;
  if (burstTicksLeft === 0 && random() < BURST_CHANCE) ticksLeft = 8 + Math.floor(random() * 32);
  const target = ticksLeft > 0 ? 70 + random() * 28 : 8 + random() * 12;
  return { cpu: clamp(cpu + (target - cpu) * 0.6, 0, 100), burstTicksLeft: ticksLeft };
}

/** Grows by 1–8 per tick: a counter only ever increases. */
export function nextCounter(total: number, random: Random): number {
  return total + 1 + Math.floor(random() * 8);
}

/** Wanders within 0–100 %, pulled back towards 45 %. */
export function nextHumidity(humidity: number, random: Random): number {
  return clamp(humidity + (HUMIDITY_MEAN - humidity) * 0.01 + noise(random, 0.3), 0, 100);
}

/** Advances every signal of a device by one tick. */
export function nextSignals(state: DeviceSignals, random: Random): DeviceSignals {
  const { drift, temperature } = nextTemperature(state.temperatureBase, state.temperatureDrift, random);
  const { cpu, burstTicksLeft } = nextCpu(state.cpuPercent, state.burstTicksLeft, random);
  return {
    temperatureBase: state.temperatureBase,
    temperatureDrift: drift,
    temperature,
    cpuPercent: cpu,
    burstTicksLeft,
    requestsTotal: nextCounter(state.requestsTotal, random),
    humidityPercent: nextHumidity(state.humidityPercent, random),
  };
}

function round(value: number, decimals: number): number {
  const scale = 10 ** decimals;
  return Math.round(value * scale) / scale;
}

/** How each metric is described when posted: its unit, and `requests_total` is a counter (drawn as a rate). */
export const METRIC_META: Record<string, { unit?: string; kind?: "counter" }> = {
  temp_c: { unit: "Cel" },
  cpu_pct: { unit: "%" },
  requests_total: { kind: "counter" },
  humidity_pct: { unit: "%" },
};

/** The metrics a device posts, rounded like a real sensor's (few decimals also encode compactly on the wire). */
export function readings(state: DeviceSignals): Record<string, number> {
  return {
    temp_c: round(state.temperature, 2),
    cpu_pct: round(state.cpuPercent, 1),
    requests_total: state.requestsTotal,
    humidity_pct: round(state.humidityPercent, 1),
  };
}
