import type { ChartPoint } from "./series-window.ts";

/** A time axis' bounds, epoch ms. */
export interface AxisBounds {
  min: number;
  max: number;
}

/** A series is stale once silent this long at least (and for several of its usual intervals). */
export const STALE_AFTER_MS = 15_000;

/**
 * The board's shared live axis: it ends at the newest point of any series (the board's clock, not this browser's)
 * and spans the range, or less while the range fills, so cards side by side show the same times.
 */
export function liveAxis(series: Iterable<readonly ChartPoint[]>, spanMs: number): AxisBounds | null {
  let newest = Number.NEGATIVE_INFINITY;
  let oldest = Number.POSITIVE_INFINITY;
  for (const points of series) {
    if (points.length === 0) continue;
    newest = Math.max(newest, points[points.length - 1]!.x);
    oldest = Math.min(oldest, points[0]!.x);
  }
  if (!Number.isFinite(newest)) return null;
  return { min: Math.max(oldest, newest - spanMs), max: newest };
}

/** Whether a series stopped while others go on: its newest point is older than the axis' end by far more than usual. */
export function isStale(points: readonly ChartPoint[], stepMs: number, axisMax: number): boolean {
  const newest = points[points.length - 1];
  if (!newest) return false;
  const spacing = points.length > 1 ? (newest.x - points[0]!.x) / (points.length - 1) : 0;
  return axisMax - newest.x > Math.max(STALE_AFTER_MS, 3 * stepMs, 4 * spacing);
}

/** The axis moved by `fraction` of its width (negative: back in time). */
export function panAxis(axis: AxisBounds, fraction: number): AxisBounds {
  const shift = (axis.max - axis.min) * fraction;
  return { min: axis.min + shift, max: axis.max + shift };
}

/** The axis `factor` times as wide, around its middle. */
export function zoomAxis(axis: AxisBounds, factor: number): AxisBounds {
  const middle = (axis.min + axis.max) / 2;
  const half = ((axis.max - axis.min) * factor) / 2;
  return { min: middle - half, max: middle + half };
}

/** `from-to` in ms, as the URL keeps a zoom (`&zoom=…`). */
export function formatZoom(axis: AxisBounds): string {
  return `${Math.round(axis.min)}-${Math.round(axis.max)}`;
}

export function parseZoom(text: string | null): AxisBounds | null {
  const match = /^(\d{1,16})-(\d{1,16})$/.exec(text ?? "");
  if (!match) return null;
  const min = Number(match[1]);
  const max = Number(match[2]);
  return max > min ? { min, max } : null;
}
