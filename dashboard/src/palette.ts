/** Line colors: by metric on cards, by position in a metric's panel. */
export const PALETTE = [
  "#4cc9f0",
  "#f72585",
  "#90be6d",
  "#f9c74f",
  "#b388ff",
  "#f8961e",
  "#43aa8b",
  "#ff6b6b",
];

/** A stable color per metric, so the same metric looks the same on every device's card. */
export function metricColor(metric: string): string {
  let hash = 0;
  for (let i = 0; i < metric.length; i++) hash = (hash * 31 + metric.charCodeAt(i)) >>> 0;
  return PALETTE[hash % PALETTE.length]!;
}
