import { describe, expect, it } from "vitest";
import { AlertState, marksFor } from "../../dashboard/src/alert-state.ts";
import type { AlertEvent, AlertRule, PromqlAlertRule } from "../../worker/protocol/index.ts";

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
      promqlRules: [],
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
    state.load({ rules: [hot, silent], promqlRules: [], active: [] });
    expect(state.thresholdsFor({ id: 1, device: "a", metric: "temp" })).toEqual([90]);
    expect(state.thresholdsFor({ id: 2, device: "a", metric: "load" })).toEqual([]);
  });

  const down: PromqlAlertRule = { id: "promql:g:Down", group: "g", name: "Down", expr: "up == 0", forMs: 0 };
  const labelled = (state: AlertEvent["state"], labels: Record<string, string>): AlertEvent => ({
    ...event(state, '{instance="a",job="api",severity="page"}'),
    rule: down.id,
    name: down.name,
    labels,
    sid: -1,
  });

  it("names a rule file's alerts by their rule and finds the series they are about by labels", () => {
    const state = new AlertState();
    state.load({
      rules: [hot],
      promqlRules: [down],
      active: [
        {
          rule: down.id,
          series: '{instance="a",job="api",severity="page"}',
          state: "firing",
          since: 5,
          value: 0,
          labels: { instance: "a", job: "api" },
        },
      ],
    });
    expect(state.firing().map((a) => a.name)).toEqual(["Down"]);
    expect(state.promqlRules).toEqual([down]);
    // The device is the series' `instance`; every label of the alert must be the series'.
    expect(state.firingOn({ id: 1, device: "a", metric: "up", labels: { job: "api" } })).toBe(true);
    expect(state.firingOn({ id: 2, device: "a", metric: "up", labels: { job: "web" } })).toBe(false);
    expect(state.firingOn({ id: 3, device: "b", metric: "up", labels: { job: "api" } })).toBe(false);
    expect(state.firingOn({ id: 4, device: "a", metric: "temp" })).toBe(false);
    state.apply(labelled("resolved", { instance: "a", job: "api" }));
    expect(state.firingOn({ id: 1, device: "a", metric: "up", labels: { job: "api" } })).toBe(false);
  });

  it("marks a series' chart with the transitions about it: threshold ones by name, rule file ones by labels", () => {
    const events = [
      { ...labelled("firing", { instance: "a" }), at: 20 },
      { ...event("pending"), at: 15 },
      { ...labelled("resolved", { instance: "b" }), at: 30 },
      // No labels to match: a rule file alert about nothing in particular marks no chart.
      { ...labelled("firing", {}), at: 40 },
    ];
    expect(marksFor(events, { id: 1, device: "a", metric: "temp" })).toEqual([
      { at: 20, state: "firing" },
      { at: 15, state: "pending" },
    ]);
    expect(marksFor(events, { id: 2, device: "b", metric: "temp" })).toEqual([{ at: 30, state: "resolved" }]);
  });
});
