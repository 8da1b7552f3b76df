import { describe, expect, it } from "vitest";
import { alertMarks, expressionMarks } from "../../dashboard/src/dashboards/annotation-marks.ts";
import type { PanelSeries } from "../../dashboard/src/dashboards/panel-series.ts";
import type { AlertEvent } from "../../worker/protocol/alerts.ts";

const event = (at: number, state: AlertEvent["state"], from: AlertEvent["from"], value: number | null) =>
  ({
    rule: "r1",
    name: "too hot",
    series: "sensor-1:temp_c",
    state,
    from,
    at,
    value,
    sid: 0,
    seq: at,
  }) as AlertEvent;

describe("annotation marks", () => {
  it("mark each alert transition inside the range, colored by the state it entered", () => {
    const marks = alertMarks(
      [
        event(5, "pending", "ok", 26),
        event(10, "firing", "pending", 27),
        event(20, "resolved", "firing", 23),
        event(99, "firing", "ok", 30),
      ],
      { from: 0, to: 50 },
      "red",
    );
    expect(marks).toEqual([
      { at: 5, color: "orange", text: "too hot · sensor-1:temp_c: ok → pending (26)" },
      { at: 10, color: "red", text: "too hot · sensor-1:temp_c: pending → firing (27)" },
      { at: 20, color: "green", text: "too hot · sensor-1:temp_c: firing → resolved (23)" },
    ]);
  });

  it("mark where an expression's series turns non-zero, a run of steps (or one after a gap) being one event", () => {
    const series: PanelSeries = {
      name: "host-a",
      refId: "busy",
      labels: {},
      // Steps of 10: on at 10–20, off at 30, on at 40, missing at 50–60, on again at 70; NaN is off.
      points: [
        { x: 0, y: 0 },
        { x: 10, y: 1 },
        { x: 20, y: 2 },
        { x: 30, y: 0 },
        { x: 40, y: 5 },
        { x: 70, y: 5 },
        { x: 80, y: Number.NaN },
        { x: 90, y: 1 },
      ],
    };
    const marks = expressionMarks([series], 10, { name: "busy", iconColor: "blue" });
    expect(marks.map((mark) => mark.at)).toEqual([10, 40, 70, 90]);
    expect(marks[0]).toEqual({ at: 10, color: "blue", text: "busy · host-a" });
  });
});
