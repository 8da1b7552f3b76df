import { describe, expect, it } from "vitest";
import { AlertState } from "../../dashboard/src/alert-state.ts";
import type { AlertEvent, AlertRule } from "../../worker/protocol/index.ts";

const hot: AlertRule = {
  id: "r1",
  name: "hot",
  series: "*:temp",
  op: ">",
  threshold: 90,
  forMs: 0,
  createdAt: 1,
};
const silent: AlertRule = {
  id: "r2",
  name: "silent",
  series: "a:*",
  op: "nodata",
  forMs: 60_000,
  createdAt: 2,
};
const event = (state: AlertEvent["state"], seriesName = "a:temp"): AlertEvent => ({
  rule: "r1",
  name: "hot",
  series: seriesName,
  state,
  from: state === "resolved" ? "firing" : "ok",
  at: 10,
  value: 95,
  sid: 0,
  seq: 1,
});

describe("the dashboard's alert state", () => {
  it("starts from the API's answer and follows live transitions", () => {
    const state = new AlertState();
    state.load({
      rules: [hot, silent],
      active: [{ rule: "r1", series: "b:temp", state: "firing", since: 5, value: 99 }],
    });
    expect(state.firing().map((a) => [a.name, a.series])).toEqual([["hot", "b:temp"]]);
    expect(state.apply(event("firing"))).toBe(true);
    expect(state.firing()).toHaveLength(2);
    expect(state.apply(event("resolved", "b:temp"))).toBe(true);
    expect(state.apply(event("resolved", "c:temp"))).toBe(false);
    expect(state.firing().map((a) => a.series)).toEqual(["a:temp"]);
  });

  it("draws the thresholds of the rules whose selector matches a series", () => {
    const state = new AlertState();
    state.load({ rules: [hot, silent], active: [] });
    expect(state.thresholdsFor({ id: 1, device: "a", metric: "temp" })).toEqual([90]);
    expect(state.thresholdsFor({ id: 2, device: "a", metric: "load" })).toEqual([]);
  });
});
