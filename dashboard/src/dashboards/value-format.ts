import type { Threshold } from "../../../worker/protocol/dashboards.ts";

/**
 * A panel's values as text in Grafana's units (`percent`, `bytes`, `s`, `reqps`, …) with its `decimals`, and the
 * color its thresholds give a value. An unknown unit is written after the value as given. No DOM.
 */

const SI = ["", " k", " M", " G", " T", " P"];
const IEC = [" B", " KiB", " MiB", " GiB", " TiB", " PiB"];
const DEC_BYTES = [" B", " kB", " MB", " GB", " TB", " PB"];

function scaled(value: number, base: number, suffixes: readonly string[], decimals: number | undefined) {
  let index = 0;
  let scaledValue = value;
  while (Math.abs(scaledValue) >= base && index < suffixes.length - 1) {
    scaledValue /= base;
    index++;
  }
  return `${fixed(scaledValue, decimals)}${suffixes[index]}`;
}

/** Grafana's default: enough decimals for about three significant digits, at most the given count. */
function fixed(value: number, decimals: number | undefined): string {
  if (decimals !== undefined) return value.toFixed(decimals);
  const magnitude = Math.abs(value);
  const auto = magnitude === 0 || magnitude >= 100 ? 0 : magnitude >= 10 ? 1 : magnitude >= 1 ? 2 : 3;
  return String(Number(value.toFixed(auto)));
}

function duration(seconds: number, decimals: number | undefined): string {
  const magnitude = Math.abs(seconds);
  if (magnitude < 1e-3) return `${fixed(seconds * 1e6, decimals)} µs`;
  if (magnitude < 1) return `${fixed(seconds * 1000, decimals)} ms`;
  if (magnitude < 60) return `${fixed(seconds, decimals)} s`;
  if (magnitude < 3600) return `${fixed(seconds / 60, decimals)} min`;
  if (magnitude < 86400) return `${fixed(seconds / 3600, decimals)} hour`;
  return `${fixed(seconds / 86400, decimals)} day`;
}

const FORMATS: Record<string, (value: number, decimals: number | undefined) => string> = {
  none: (v, d) => fixed(v, d),
  short: (v, d) => scaled(v, 1000, SI, d).trimEnd(),
  percent: (v, d) => `${fixed(v, d)}%`,
  percentunit: (v, d) => `${fixed(v * 100, d)}%`,
  bytes: (v, d) => scaled(v, 1024, IEC, d),
  decbytes: (v, d) => scaled(v, 1000, DEC_BYTES, d),
  bits: (v, d) => scaled(v, 1000, [" b", " kb", " Mb", " Gb", " Tb", " Pb"], d),
  bps: (v, d) => scaled(v, 1000, [" bps", " kbps", " Mbps", " Gbps", " Tbps", " Pbps"], d),
  Bps: (v, d) => scaled(v, 1000, [" B/s", " kB/s", " MB/s", " GB/s", " TB/s", " PB/s"], d),
  s: duration,
  ms: (v, d) => duration(v / 1000, d),
  reqps: (v, d) => `${scaled(v, 1000, SI, d).trimEnd()} req/s`,
  ops: (v, d) => `${scaled(v, 1000, SI, d).trimEnd()} ops/s`,
  celsius: (v, d) => `${fixed(v, d)} °C`,
  fahrenheit: (v, d) => `${fixed(v, d)} °F`,
  humidity: (v, d) => `${fixed(v, d)} %H`,
};

/** A value in a unit; NaN and ±Inf by name, whatever the unit. */
export function formatPanelValue(value: number, unit?: string, decimals?: number): string {
  if (Number.isNaN(value)) return "NaN";
  if (value === Number.POSITIVE_INFINITY) return "+Inf";
  if (value === Number.NEGATIVE_INFINITY) return "-Inf";
  const format = FORMATS[unit ?? "short"];
  if (format) return format(value, decimals);
  return `${fixed(value, decimals)} ${unit}`;
}

/** The color of the highest step whose value the value reaches (the base step, null, reaches all). */
export function thresholdColor(thresholds: readonly Threshold[] | undefined, value: number): string | null {
  let color: string | null = null;
  for (const step of thresholds ?? [])
    if (step.value === null || (Number.isFinite(value) && value >= step.value)) color = step.color;
  return color;
}

/** Grafana's named colors as CSS colors; other names (`#f00`, `rgb(…)`, `red`) are CSS already. */
const NAMED: Record<string, string> = {
  green: "#73bf69",
  red: "#f2495c",
  orange: "#ff9830",
  yellow: "#fade2a",
  blue: "#5794f2",
  purple: "#b877d9",
  "dark-green": "#37872d",
  "dark-red": "#c4162a",
  "semi-dark-red": "#e02f44",
  "light-red": "#ff7383",
  "dark-orange": "#fa6400",
  "dark-yellow": "#e0b400",
  text: "#d8dee9",
};

export const cssColor = (color: string): string => NAMED[color] ?? color;
