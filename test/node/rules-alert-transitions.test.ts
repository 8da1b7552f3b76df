import { describe, expect, it } from "vitest";
import { type Alert, compileAlerting, evaluateAlerting } from "../../worker/rules/alert-state.ts";
import { alertSeries, alertTransitions, promqlRuleId } from "../../worker/rules/alert-transitions.ts";
import type { AlertingRule } from "../../worker/rules/rule-file.ts";

const RULE = { id: promqlRuleId("g", "High", 0), name: "High", labels: { severity: "page" } };

function compiled(overrides: Partial<AlertingRule> = {}) {
  return compileAlerting({
    alert: "High",
    expr: "x > 1",
    for: "",
    forMs: 0,
    keepFiringFor: "",
    keepFiringForMs: 0,
    labels: { severity: "page" },
    annotations: {},
    ...overrides,
  });
}

const sample = (instance: string, value: number) => ({ labels: { __name__: "x", instance }, value });

/** Evaluates each step in turn; what the dashboard is told after each, as [series, state, from, value]. */
function told(rule: ReturnType<typeof compiled>, steps: Array<[number, Array<ReturnType<typeof sample>>]>) {
  let alerts: Alert[] = [];
  return steps.map(([ts, result]) => {
    const out = evaluateAlerting(rule, alerts, result, ts, 0);
    if ("error" in out) throw new Error(out.error);
    const transitions = alertTransitions(RULE, alerts, out.alerts, ts);
    alerts = out.alerts;
    for (const t of transitions) expect(t.labels).toEqual({ instance: t.labels!.instance });
    return transitions.map((t) => [t.series, t.state, t.from, t.value]);
  });
}

describe("what a rule file's alerts tell the dashboard", () => {
  it("names an alert by its labels without alertname, sorted, as Prometheus's alert list shows them", () => {
    expect(alertSeries({ job: "api", alertname: "High", instance: 'a"b' })).toBe(
      '{instance="a\\"b",job="api"}',
    );
    expect(promqlRuleId("g", "High", 0)).toBe("promql:g:High");
    expect(promqlRuleId("g", "High", 2)).toBe("promql:g:High:2");
  });

  it("pending when the condition first holds, firing once it held `for`, resolved from firing when it stops", () => {
    const a = '{instance="a",severity="page"}';
    expect(
      told(compiled({ forMs: 20_000 }), [
        [0, [sample("a", 5)]],
        [10_000, [sample("a", 6)]],
        [20_000, [sample("a", 7)]],
        [30_000, [sample("a", 8)]],
        [40_000, []],
        [50_000, []],
      ]),
    ).toEqual([
      [[a, "pending", "ok", 5]],
      [],
      [[a, "firing", "pending", 7]],
      [],
      [[a, "resolved", "firing", 8]],
      [],
    ]);
  });

  it("firing straight from ok without `for`, and resolved from pending when it stops before firing", () => {
    expect(told(compiled(), [[0, [sample("a", 5)]]])).toEqual([
      [['{instance="a",severity="page"}', "firing", "ok", 5]],
    ]);
    expect(
      told(compiled({ forMs: 60_000 }), [
        [0, [sample("b", 2)]],
        [10_000, []],
      ]),
    ).toEqual([
      [['{instance="b",severity="page"}', "pending", "ok", 2]],
      [['{instance="b",severity="page"}', "resolved", "pending", 2]],
    ]);
  });

  it("says nothing while keep_firing_for holds an alert that stopped, and resolves it when that ends", () => {
    const a = '{instance="a",severity="page"}';
    expect(
      told(compiled({ keepFiringForMs: 15_000 }), [
        [0, [sample("a", 5)]],
        [10_000, []],
        [20_000, []],
        [30_000, []],
      ]),
    ).toEqual([[[a, "firing", "ok", 5]], [], [], [[a, "resolved", "firing", 5]]]);
  });

  it("tells each series on its own, and values Prometheus has but JSON does not as text", () => {
    const transitions = told(compiled(), [
      [0, [sample("a", Number.NaN), sample("b", Number.POSITIVE_INFINITY)]],
    ]);
    expect(transitions[0]!.map(([series, , , value]) => [series, value])).toEqual([
      ['{instance="a",severity="page"}', "NaN"],
      ['{instance="b",severity="page"}', "+Inf"],
    ]);
  });
});
