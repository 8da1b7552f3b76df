import { labelsKey } from "../promql/labels.ts";
import type { AlertEvent } from "../protocol/alerts.ts";
import { formatLabels, type Labels } from "../protocol/labels.ts";
import { toJsonValue } from "../protocol/sample-value.ts";
import type { Alert, AlertStateName } from "./alert-state.ts";

/** `AlertEvent.sid` of the rule file's transitions: the hub evaluated them, not a shard (shards count from 0). */
export const RULES_SID = -1;

/** A transition before the rule store numbers it. */
export type RuleTransition = Omit<AlertEvent, "seq">;

/**
 * The id a rule file's alerting rule has where threshold rules have theirs (`AlertEvent.rule`, `ActiveAlert.rule`):
 * its group and name, and its place among the group's rules of that name after the first, so that ids survive a
 * file edited around them.
 */
export const promqlRuleId = (group: string, alert: string, ordinal: number): string =>
  `promql:${group}:${alert}${ordinal > 0 ? `:${ordinal}` : ""}`;

/** A rule file's alerting rule as its alerts name it: its id, alert name, and the labels it adds. */
export interface AlertingRuleRef {
  id: string;
  name: string;
  labels: Labels;
}

/** An alert's labels as a person reads them, as series are named: `{instance="a",job="b"}`, without alertname. */
export function alertSeries(labels: Labels): string {
  const { alertname: _name, ...shown } = labels;
  return `{${formatLabels(shown)}}`;
}

/** What an alert is about: its labels without alertname and those its rule adds (its result series' labels). */
export function alertSubject(labels: Labels, rule: AlertingRuleRef): Labels {
  return Object.fromEntries(
    Object.entries(labels).filter(([name]) => name !== "alertname" && !(name in rule.labels)),
  );
}

const shownState = (state: AlertStateName | undefined): AlertEvent["from"] =>
  state === "pending" || state === "firing" ? state : "ok";

/**
 * What one evaluation of an alerting rule changed, in the dashboard's terms: an alert turning pending, firing, or
 * resolved (from pending or firing), at the evaluation time `at`. A pending alert that stops holding is dropped
 * by the evaluation, so one missing from `after` resolved too.
 */
export function alertTransitions(
  rule: AlertingRuleRef,
  before: readonly Alert[],
  after: readonly Alert[],
  at: number,
): RuleTransition[] {
  const was = new Map(before.map((alert) => [labelsKey(alert.labels), alert]));
  const transitions: RuleTransition[] = [];
  const add = (alert: Alert, state: AlertEvent["state"], from: AlertEvent["from"]) =>
    transitions.push({
      rule: rule.id,
      name: rule.name,
      series: alertSeries(alert.labels),
      state,
      from,
      at,
      value: toJsonValue(alert.value),
      sid: RULES_SID,
      labels: alertSubject(alert.labels, rule),
    });
  for (const alert of after) {
    const key = labelsKey(alert.labels);
    const from = shownState(was.get(key)?.state);
    was.delete(key);
    if (alert.state === "inactive") {
      if (from !== "ok") add(alert, "resolved", from);
    } else if (alert.state !== from) add(alert, alert.state, from);
  }
  for (const alert of was.values()) {
    const from = shownState(alert.state);
    if (from !== "ok") add(alert, "resolved", from);
  }
  return transitions;
}
