import { formatFixed, goExponent } from "../promql/index.ts";
import {
  type ActiveAlert,
  type AlertRule,
  fromJsonValue,
  parseSelector,
  promqlLabels,
  quoteLabelValue,
  type Selector,
} from "../protocol/index.ts";

/** A float as Prometheus prints alert values (Go's %e with the shortest digits: `2.53e+01`). */
export function exponentText(value: number): string {
  return Number.isFinite(value) ? goExponent(value) : formatFixed(value);
}

/** A board selector written as the PromQL selector of the same series. */
function promqlSelector(selector: Selector): string {
  const matchers = [
    ...(selector.metric !== "*" ? [`__name__=${quoteLabelValue(selector.metric)}`] : []),
    ...(selector.device !== "*" ? [`instance=${quoteLabelValue(selector.device)}`] : []),
    ...selector.matchers.map((m) => `${m.key}${m.op}${quoteLabelValue(m.value)}`),
  ];
  return `{${matchers.join(",")}}`;
}

/** A rule's condition as PromQL: `{…} > 25`, or `absent_over_time({…}[10s])` for `nodata`. */
function ruleQuery(rule: AlertRule): string {
  const parsed = parseSelector(rule.series);
  const selector = "error" in parsed ? `{__name__=${quoteLabelValue(rule.series)}}` : promqlSelector(parsed);
  if (rule.op === "nodata")
    return `absent_over_time(${selector}[${Math.max(1, Math.round(rule.forMs / 1000))}s])`;
  return `${selector} ${rule.op} ${rule.threshold}`;
}

/** An alert in the shape of Prometheus's `/api/v1/alerts`: the series' PromQL labels and the rule's name. */
function alertOf(rule: AlertRule, alert: ActiveAlert) {
  const parsed = parseSelector(alert.series);
  const labels: Record<string, string> = {};
  if (!("error" in parsed)) {
    const own = Object.fromEntries(parsed.matchers.map((m) => [m.key, m.value]));
    Object.assign(labels, promqlLabels({ device: parsed.device, metric: parsed.metric, labels: own }));
  }
  labels.alertname = rule.name;
  return {
    labels,
    annotations: {},
    state: alert.state,
    activeAt: new Date(alert.since).toISOString(),
    value: alert.value === null ? "" : exponentText(fromJsonValue(alert.value)),
  };
}

/** The board's alerts that hold now, as `/api/v1/alerts` answers. */
export function prometheusAlerts(rules: AlertRule[], active: ActiveAlert[]) {
  const byId = new Map(rules.map((rule) => [rule.id, rule]));
  return {
    alerts: active.flatMap((alert) => {
      const rule = byId.get(alert.rule);
      return rule ? [alertOf(rule, alert)] : [];
    }),
  };
}

/** An alerting rule's state as Prometheus reports it: the most advanced of its alerts'. */
export function ruleState(alerts: ReadonlyArray<{ state: string }>): "firing" | "pending" | "inactive" {
  if (alerts.some((a) => a.state === "firing")) return "firing";
  return alerts.length > 0 ? "pending" : "inactive";
}

/** The board's alert rules as one rule group, as `/api/v1/rules` answers (`type=record` gives none). */
export function prometheusRules(rules: AlertRule[], active: ActiveAlert[], type: string | null) {
  const alerting = type === null || type === "" || type === "alert";
  const entries = (alerting ? rules : []).map((rule) => {
    const alerts = active.filter((a) => a.rule === rule.id).map((a) => alertOf(rule, a));
    return {
      state: ruleState(alerts),
      name: rule.name,
      query: ruleQuery(rule),
      duration: rule.forMs / 1000,
      labels: {},
      annotations: {},
      alerts,
      health: "ok",
      evaluationTime: 0,
      lastEvaluation: new Date(0).toISOString(),
      type: "alerting",
    };
  });
  const group = { name: "edgepulse", file: "edgepulse", rules: entries, interval: 0, limit: 0 };
  return {
    groups:
      entries.length > 0 ? [{ ...group, evaluationTime: 0, lastEvaluation: new Date(0).toISOString() }] : [],
  };
}
