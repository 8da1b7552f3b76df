import { exponentText, ruleState } from "../prometheus/rules.ts";
import type { Alert } from "./alert-state.ts";
import type { GroupState, RuleState } from "./evaluate-group.ts";
import { isAlerting, type Rule } from "./rule-file.ts";
import type { StoredRules } from "./rule-store.ts";

/** Go's time.Time JSON, with its zero time for "never" as Prometheus prints it. */
const goTime = (ms: number) => (ms === 0 ? "0001-01-01T00:00:00Z" : new Date(ms).toISOString());

/** An alert as `/api/v1/alerts` and `/api/v1/rules` show it: pending or firing, its value in Go's %e. */
function apiAlert(alert: Alert) {
  return {
    labels: alert.labels,
    annotations: alert.annotations,
    state: alert.state,
    activeAt: goTime(alert.activeAt),
    value: exponentText(alert.value),
  };
}

const holding = (state: RuleState | undefined) => (state?.alerts ?? []).filter((a) => a.state !== "inactive");

function apiRule(rule: Rule, state: RuleState | undefined) {
  const common = {
    name: isAlerting(rule) ? rule.alert : rule.record,
    query: rule.expr,
    labels: rule.labels,
    health: state?.health ?? "unknown",
    ...(state?.lastError ? { lastError: state.lastError } : {}),
    evaluationTime: (state?.evaluationMs ?? 0) / 1000,
    lastEvaluation: goTime(state?.lastEvaluation ?? 0),
  };
  if (!isAlerting(rule)) return { ...common, type: "recording" };
  const alerts = holding(state);
  return {
    state: ruleState(alerts),
    ...common,
    duration: rule.forMs / 1000,
    keepFiringFor: rule.keepFiringForMs / 1000,
    annotations: rule.annotations,
    alerts: alerts.map(apiAlert),
    type: "alerting",
  };
}

/**
 * The rule file's groups as Prometheus's `/api/v1/rules` gives them (`type=alert` or `type=record` keeps one
 * kind); each group also says what its last evaluation read (`rowsRead`) and recorded (`samplesRecorded`).
 */
export function ruleGroupsForApi(
  stored: StoredRules,
  states: Record<string, GroupState>,
  file: string,
  type: string | null,
) {
  const wanted = (rule: Rule) =>
    !type || (type === "alert" ? isAlerting(rule) : type === "record" && !isAlerting(rule));
  return stored.groups.map((group) => {
    const state = states[group.name];
    return {
      name: group.name,
      file,
      rules: group.rules.flatMap((rule, i) => (wanted(rule) ? [apiRule(rule, state?.rules[i])] : [])),
      interval: group.intervalMs / 1000,
      limit: group.limit,
      evaluationTime: (state?.evaluationMs ?? 0) / 1000,
      lastEvaluation: goTime(state?.lastEvaluation ?? 0),
      rowsRead: state?.rowsRead ?? 0,
      samplesRecorded: state?.samplesRecorded ?? 0,
    };
  });
}

/** The rules' pending and firing alerts, as `/api/v1/alerts` lists them. */
export function alertsForApi(states: Record<string, GroupState>) {
  return Object.values(states).flatMap((group) => group.rules.flatMap((rule) => holding(rule).map(apiAlert)));
}
