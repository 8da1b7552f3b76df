/** The φ-quantile of a set of values (quantile, quantile_over_time): linear between the two closest ranks. */
import type { Floats } from "./values.ts";

/** Of values[from, to). */
export function quantile(q: number, values: Floats, from = 0, to = values.length): number {
  if (to <= from || Number.isNaN(q)) return Number.NaN;
  if (q < 0) return Number.NEGATIVE_INFINITY;
  if (q > 1) return Number.POSITIVE_INFINITY;
  // Prometheus sorts NaN before every number.
  const sorted = Array.from(values.slice(from, to)).sort((a, b) =>
    Number.isNaN(a) ? (Number.isNaN(b) ? 0 : -1) : Number.isNaN(b) ? 1 : a - b,
  );
  const n = sorted.length;
  const rank = q * (n - 1);
  const lower = Math.max(0, Math.floor(rank));
  const upper = Math.min(n - 1, lower + 1);
  const weight = rank - Math.floor(rank);
  return (sorted[lower] as number) * (1 - weight) + (sorted[upper] as number) * weight;
}
