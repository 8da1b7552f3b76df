import type { AlertEvent } from "../../../worker/protocol/alerts.ts";
import type { PanelSeries } from "./panel-series.ts";
import type { AbsoluteRange } from "./time-expr.ts";

/**
 * Marks on time series panels' time axes: the board's alert transitions (Grafana's built-in annotation), and for
 * an annotation with an `expr`, each time a series of its answer turns non-zero (as Grafana's Prometheus
 * annotations do: a run of non-zero steps is one event, at its first step). No DOM.
 */
export interface AnnotationMark {
  at: number;
  color: string;
  text: string;
}

const STATE_COLORS: Record<string, string> = { pending: "orange", resolved: "green", ok: "green" };

/** An alert transition inside the range per mark: firing in the annotation's color, pending orange, resolved green. */
export function alertMarks(
  events: readonly AlertEvent[],
  range: AbsoluteRange,
  firingColor: string,
): AnnotationMark[] {
  return events
    .filter((event) => event.at >= range.from && event.at <= range.to)
    .map((event) => ({
      at: event.at,
      color: event.state === "firing" ? firingColor : (STATE_COLORS[event.state] ?? firingColor),
      text: `${event.name} · ${event.series}: ${event.from} → ${event.state}${event.value === null ? "" : ` (${event.value})`}`,
    }));
}

/** A mark where each series turns non-zero after a zero, a gap longer than `stepMs`, or the range's start. */
export function expressionMarks(
  series: readonly PanelSeries[],
  stepMs: number,
  annotation: { name: string; iconColor: string },
): AnnotationMark[] {
  const marks: AnnotationMark[] = [];
  for (const one of series) {
    let previous: number | null = null;
    let on = false;
    for (const { x, y } of one.points) {
      const active = Number.isFinite(y) && y !== 0;
      const continues = previous !== null && x - previous <= stepMs;
      if (active && !(on && continues))
        marks.push({ at: x, color: annotation.iconColor, text: `${annotation.name} · ${one.name}` });
      on = active;
      previous = x;
    }
  }
  return marks.sort((a, b) => a.at - b.at);
}
