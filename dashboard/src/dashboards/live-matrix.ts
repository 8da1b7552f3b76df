/**
 * One live PromQL subscription's result as the client holds it: the `query_range` matrix built up from the
 * subscription's events (see the README, "Live PromQL"). No DOM.
 *
 * Every kind of event covers the steps `start`…`end` and says what the result holds there: `history` and `steps`
 * bring steps the client does not have yet (or, on a resume, a step it may have again), `correction` replaces steps
 * it has. So all three apply the same way: every series loses its points in `start`…`end` and gains the event's; a
 * series absent from the event has no point there (and is gone once it has no point at all).
 */
import type { LiveResult, LiveSeries } from "../../../worker/protocol/live-query.ts";
import { labelsText } from "./panel-series.ts";

export interface LiveMatrix {
  /** By the series' labels as PromQL writes them; values sorted by time, in seconds as the events send them. */
  readonly series: Map<string, LiveSeries>;
  /** The last step held (seconds), null before the first event: what a resume asks to continue `after`. */
  lastStep: number | null;
}

export const emptyLiveMatrix = (): LiveMatrix => ({ series: new Map(), lastStep: null });

/** Applies one event of the subscription to its matrix. */
export function applyLiveResult(
  matrix: LiveMatrix,
  event: Pick<LiveResult, "start" | "end" | "result">,
): void {
  const { start, end } = event;
  for (const [key, one] of matrix.series) {
    const first = one.values.findIndex(([t]) => t >= start);
    if (first === -1) continue;
    const kept = one.values.slice(0, first);
    for (let i = first; i < one.values.length; i++) if (one.values[i]![0] > end) kept.push(one.values[i]!);
    if (kept.length === 0) matrix.series.delete(key);
    else one.values = kept;
  }
  for (const fresh of event.result) {
    if (fresh.values.length === 0) continue;
    const key = labelsText(fresh.metric);
    const held = matrix.series.get(key);
    if (!held) {
      matrix.series.set(key, { metric: fresh.metric, values: [...fresh.values] });
      continue;
    }
    // The held points are all before `start` or after `end`; the event's lie between.
    const before = held.values.filter(([t]) => t < start);
    const after = held.values.slice(before.length);
    held.values = before.concat(fresh.values, after);
  }
  matrix.lastStep = Math.max(matrix.lastStep ?? end, end);
}

/** Drops the points before `fromSeconds` (the panel's window moved on), and series left with none. */
export function trimLiveMatrix(matrix: LiveMatrix, fromSeconds: number): void {
  for (const [key, one] of matrix.series) {
    if (one.values.length === 0 || one.values[0]![0] >= fromSeconds) continue;
    const kept = one.values.filter(([t]) => t >= fromSeconds);
    if (kept.length === 0) matrix.series.delete(key);
    else one.values = kept;
  }
}

/**
 * The matrix as a `query_range` answer's `data`; `instant` keeps only each series' point at the last step held, which
 * is what an instant query at that step answers (a series with no point there is absent from it).
 */
export function liveMatrixData(
  matrix: LiveMatrix,
  instant = false,
): { resultType: "matrix"; result: LiveSeries[] } {
  const result: LiveSeries[] = [];
  for (const one of matrix.series.values()) {
    if (!instant) result.push(one);
    else if (one.values.at(-1)?.[0] === matrix.lastStep)
      result.push({ metric: one.metric, values: one.values.slice(-1) });
  }
  return { resultType: "matrix", result };
}
