/** A selectable time range: how far back the cards reach and the bucket width history is asked for. */
export interface TimeRange {
  id: "5m" | "1h" | "24h" | "7d";
  label: string;
  spanMs: number;
  /** About span/600, rounded so the board can answer from a rollup resolution that divides it. */
  stepMs: number;
}

/** In the order the picker shows them. */
export const RANGES: readonly TimeRange[] = [
  { id: "5m", label: "Live 5 min", spanMs: 5 * 60_000, stepMs: 500 },
  { id: "1h", label: "1 h", spanMs: 3_600_000, stepMs: 6_000 },
  { id: "24h", label: "24 h", spanMs: 86_400_000, stepMs: 120_000 },
  { id: "7d", label: "7 d", spanMs: 7 * 86_400_000, stepMs: 900_000 },
];

/** Live five minutes. */
export const DEFAULT_RANGE: TimeRange = RANGES[0]!;

/** Buckets wider than a second hide spikes in their average, so they are drawn with their min/max band. */
export function showsBand(stepMs: number, resolution: string): boolean {
  return stepMs > 1_000 || (resolution !== "raw" && resolution !== "1s");
}
