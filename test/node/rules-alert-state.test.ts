import { describe, expect, it } from "vitest";
import {
  type Alert,
  alertsToSend,
  compileAlerting,
  evaluateAlerting,
} from "../../worker/rules/alert-state.ts";
import { alertSeries, alertTransitions, promqlRuleId } from "../../worker/rules/alert-transitions.ts";
import type { AlertingRule } from "../../worker/rules/rule-file.ts";
import { compileTemplate, expandTemplate } from "../../worker/rules/template.ts";

function rule(overrides: Partial<AlertingRule> = {}): ReturnType<typeof compileAlerting> {
  return compileAlerting({
    alert: "High",
    expr: "x > 1",
    for: "",
    forMs: 0,
    keepFiringFor: "",
    keepFiringForMs: 0,
    labels: {},
    annotations: {},
    ...overrides,
  });
}

const sample = (instance: string, value: number) => ({ labels: { __name__: "x", instance }, value });

/** Evaluates at each time in turn, the result of each step given; the alerts after each step. */
function run(
  r: ReturnType<typeof rule>,
  steps: Array<[number, Array<ReturnType<typeof sample>>]>,
): Alert[][] {
  let alerts: Alert[] = [];
  return steps.map(([ts, result]) => {
    const out = evaluateAlerting(r, alerts, result, ts, 0);
    if ("error" in out) throw new Error(out.error);
    alerts = out.alerts;
    return alerts;
  });
}

describe("alerting rules as Prometheus evaluates them", () => {
  it("labels an alert with the series' labels minus __name__, the rule's labels (templated) and alertname", () => {
    const [alerts] = run(rule({ labels: { severity: "page", at: "{{ $labels.instance }}" } }), [
      [0, [sample("a", 2)]],
    ]);
    expect(alerts![0]!.labels).toEqual({ instance: "a", severity: "page", at: "a", alertname: "High" });
  });

  it("is pending until the condition held for `for`, then firing from that evaluation on", () => {
    const steps = run(rule({ forMs: 60_000 }), [
      [0, [sample("a", 2)]],
      [30_000, [sample("a", 3)]],
      [60_000, [sample("a", 4)]],
    ]);
    expect(steps.map((s) => s[0]!.state)).toEqual(["pending", "pending", "firing"]);
    expect(steps[2]![0]).toMatchObject({ activeAt: 0, firedAt: 60_000, value: 4 });
  });

  it("fires at the first evaluation without `for`, and drops a pending alert that stops holding", () => {
    expect(run(rule(), [[0, [sample("a", 2)]]])[0]![0]!.state).toBe("firing");
    const steps = run(rule({ forMs: 60_000 }), [
      [0, [sample("a", 2)]],
      [10_000, []],
    ]);
    expect(steps[1]).toEqual([]);
  });

  it("keeps a resolved alert 15 minutes as inactive, and a new firing of it starts a new alert", () => {
    const r = rule();
    const steps = run(r, [
      [0, [sample("a", 2)]],
      [10_000, []],
      [10_000 + 15 * 60_000, []],
      [10_000 + 15 * 60_000 + 1, []],
    ]);
    expect(steps[1]![0]).toMatchObject({ state: "inactive", resolvedAt: 10_000 });
    expect(steps[2]).toHaveLength(1);
    expect(steps[3]).toEqual([]);
    const again = run(r, [
      [0, [sample("a", 2)]],
      [10_000, []],
      [20_000, [sample("a", 5)]],
    ]);
    expect(again[2]![0]).toMatchObject({ state: "firing", activeAt: 20_000, resolvedAt: 0 });
  });

  it("keeps firing for keep_firing_for after the condition stops", () => {
    const steps = run(rule({ keepFiringForMs: 20_000 }), [
      [0, [sample("a", 2)]],
      [10_000, []],
      [20_000, []],
      [30_000, []],
    ]);
    expect(steps.map((s) => s[0]!.state)).toEqual(["firing", "firing", "firing", "inactive"]);
    expect(steps[3]![0]!.resolvedAt).toBe(30_000);
  });

  it("refuses a result whose series are the same after the rule's labels", () => {
    const out = evaluateAlerting(
      rule(),
      [],
      [sample("a", 2), { labels: { __name__: "y", instance: "a" }, value: 3 }],
      0,
      0,
    );
    expect(out).toEqual({
      error: "vector contains metrics with the same labelset after applying alert labels",
    });
  });

  it("sends firing alerts once per resend delay and a resolved one as soon as it resolves", () => {
    const r = rule();
    const t = 1_800_000_000_000;
    let alerts = run(r, [[t, [sample("a", 2)]]])[0]!;
    expect(alertsToSend(alerts, t, 10_000)).toHaveLength(1);
    expect(alerts[0]!.validUntil).toBe(t + 4 * 60_000);
    expect(alertsToSend(alerts, t + 60_000, 10_000)).toHaveLength(0);
    expect(alertsToSend(alerts, t + 60_001, 10_000)).toHaveLength(1);
    const out = evaluateAlerting(r, alerts, [], t + 70_000, 0);
    alerts = "alerts" in out ? out.alerts : [];
    expect(alertsToSend(alerts, t + 70_000, 10_000).map((a) => a.state)).toEqual(["inactive"]);
    expect(alertsToSend(alerts, t + 80_000, 10_000)).toHaveLength(0);
  });
});

describe("templates in labels and annotations", () => {
  const expand = (text: string, value: number, labels: Record<string, string> = { instance: "a" }) =>
    expandTemplate(compileTemplate(text), { labels, value });

  it("expands $labels, .Labels, $value as Go prints floats, and leaves a missing label empty", () => {
    expect(expand("{{ $labels.instance }}/{{ .Labels.instance }}/{{ $labels.none }}", 1)).toBe("a/a/");
    expect(expand("{{ $value }} {{ .Value }}", 1e6)).toBe("1e+06 1e+06");
    expect(expand("{{ $value }}", 0.25)).toBe("0.25");
  });

  it("humanizes as Prometheus does: SI prefixes, 1024s, percentages, four significant digits", () => {
    expect(expand("{{ humanize $value }}", 1234567)).toBe("1.235M");
    expect(expand("{{ $value | humanize }}", 0.00123)).toBe("1.23m");
    expect(expand("{{ humanize1024 $value }}", 2048)).toBe("2ki");
    expect(expand("{{ humanizePercentage $value }}", 0.1234)).toBe("12.34%");
    expect(expand("{{ humanize $value }}", 0)).toBe("0");
  });

  it("formats with printf, trims with {{- -}}, and refuses forms it does not know", () => {
    expect(expand('{{ printf "%.2f" $value }}', 5.678)).toBe("5.68");
    expect(expand("a  {{- $value -}}  b", 1)).toBe("a1b");
    // Go rounds exact ties to even where JavaScript rounds them up.
    expect(expand('{{ printf "%.1f" $value }} {{ printf "%.1f" $value }}', 30.25)).toBe("30.2 30.2");
    expect(expand('{{ printf "%.0f" $value }}', 2.5)).toBe("2");
    expect(expand('{{ printf "%.1f" $value }}', 30.35)).toBe("30.4");
    expect(expand("{{ humanize $value }}", 1234.5)).toBe("1.234k");
    expect(() => compileTemplate("{{ range $labels }}")).toThrow();
    expect(() => compileTemplate("{{ $value ")).toThrow(/unclosed/);
  });
});

const RULE = { id: promqlRuleId("g", "High", 0), name: "High", labels: { severity: "page" } };
const paging = (overrides: Partial<AlertingRule> = {}) =>
  rule({ labels: { severity: "page" }, ...overrides });

/** Evaluates each step in turn; what the dashboard is told after each, as [series, state, from, value]. */
function told(r: ReturnType<typeof rule>, steps: Array<[number, Array<ReturnType<typeof sample>>]>) {
  let alerts: Alert[] = [];
  return steps.map(([ts, result]) => {
    const out = evaluateAlerting(r, alerts, result, ts, 0);
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
      told(paging({ forMs: 20_000 }), [
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
    expect(told(paging(), [[0, [sample("a", 5)]]])).toEqual([
      [['{instance="a",severity="page"}', "firing", "ok", 5]],
    ]);
    expect(
      told(paging({ forMs: 60_000 }), [
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
      told(paging({ keepFiringForMs: 15_000 }), [
        [0, [sample("a", 5)]],
        [10_000, []],
        [20_000, []],
        [30_000, []],
      ]),
    ).toEqual([[[a, "firing", "ok", 5]], [], [], [[a, "resolved", "firing", 5]]]);
  });

  it("tells each series on its own, and values Prometheus has but JSON does not as text", () => {
    const transitions = told(paging(), [
      [0, [sample("a", Number.NaN), sample("b", Number.POSITIVE_INFINITY)]],
    ]);
    expect(transitions[0]!.map(([series, , , value]) => [series, value])).toEqual([
      ['{instance="a",severity="page"}', "NaN"],
      ['{instance="b",severity="page"}', "+Inf"],
    ]);
  });
});
