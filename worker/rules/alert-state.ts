import { labelsKey } from "../promql/labels.ts";
import { RULE_LIMITS } from "./limits.ts";
import type { AlertingRule } from "./rule-file.ts";
import { compileTemplate, expandTemplate, type Template } from "./template.ts";

export type AlertStateName = "pending" | "firing" | "inactive";

/** One alert of a rule, as Prometheus's rules.Alert keeps it (times in ms, 0 for never). */
export interface Alert {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  state: AlertStateName;
  value: number;
  activeAt: number;
  firedAt: number;
  resolvedAt: number;
  lastSentAt: number;
  validUntil: number;
  keepFiringSince: number;
}

/** A sample of a rule's result: its labels (with `__name__` when it has one) and value. */
export interface ResultSample {
  labels: Record<string, string>;
  value: number;
}

/** A rule's templates, compiled once per rule file. */
export interface CompiledAlerting {
  rule: AlertingRule;
  labels: Array<[string, Template]>;
  annotations: Array<[string, Template]>;
}

export function compileAlerting(rule: AlertingRule): CompiledAlerting {
  const compile = (map: Record<string, string>) =>
    Object.entries(map).map(([name, text]) => [name, compileTemplate(text)] as [string, Template]);
  return { rule, labels: compile(rule.labels), annotations: compile(rule.annotations) };
}

function expandAll(templates: Array<[string, Template]>, sample: ResultSample): Record<string, string> {
  const data = { labels: sample.labels, value: sample.value };
  return Object.fromEntries(templates.map(([name, t]) => [name, expandTemplate(t, data)]));
}

/**
 * One evaluation of an alerting rule at `ts` over its result, as Prometheus's AlertingRule.Eval: one alert per
 * result series (its labels minus `__name__`, the rule's labels, `alertname`), pending until it held `for`,
 * firing while it holds (and `keep_firing_for` after), inactive when it stops, kept 15 min after resolving so
 * receivers hear it resolved. Returns the alerts to keep, or an error (the previous alerts stay as they were).
 */
export function evaluateAlerting(
  compiled: CompiledAlerting,
  previous: readonly Alert[],
  result: readonly ResultSample[],
  ts: number,
  limit: number,
): { alerts: Alert[] } | { error: string } {
  const { rule } = compiled;
  const fresh = new Map<string, Alert>();
  for (const sample of result) {
    let labels: Record<string, string>;
    let annotations: Record<string, string>;
    try {
      labels = { ...sample.labels, ...expandAll(compiled.labels, sample), alertname: rule.alert };
      annotations = expandAll(compiled.annotations, sample);
    } catch (error) {
      return { error: `error expanding template: ${(error as Error).message}` };
    }
    delete labels.__name__;
    const key = labelsKey(labels);
    if (fresh.has(key))
      return { error: "vector contains metrics with the same labelset after applying alert labels" };
    fresh.set(key, {
      labels,
      annotations,
      state: "pending",
      value: sample.value,
      activeAt: ts,
      firedAt: 0,
      resolvedAt: 0,
      lastSentAt: 0,
      validUntil: 0,
      keepFiringSince: 0,
    });
  }
  const active = new Map(previous.map((alert) => [labelsKey(alert.labels), { ...alert }]));
  for (const [key, alert] of fresh) {
    const known = active.get(key);
    if (known && known.state !== "inactive") {
      known.value = alert.value;
      known.annotations = alert.annotations;
    } else active.set(key, alert);
  }
  let held = 0;
  for (const [key, alert] of active) {
    if (!fresh.has(key)) {
      let keepFiring = false;
      if (alert.state === "firing" && rule.keepFiringForMs > 0) {
        if (alert.keepFiringSince === 0) alert.keepFiringSince = ts;
        keepFiring = ts - alert.keepFiringSince < rule.keepFiringForMs;
      }
      if (
        alert.state === "pending" ||
        (alert.resolvedAt !== 0 && ts - alert.resolvedAt > RULE_LIMITS.resolvedRetentionMs)
      )
        active.delete(key);
      if (alert.state !== "inactive" && !keepFiring) {
        alert.state = "inactive";
        alert.resolvedAt = ts;
      }
      if (!keepFiring) continue;
    } else alert.keepFiringSince = 0;
    held++;
    if (alert.state === "pending" && ts - alert.activeAt >= rule.forMs) {
      alert.state = "firing";
      alert.firedAt = ts;
    }
  }
  const most = limit > 0 ? limit : RULE_LIMITS.maxSeriesPerRule;
  if (held > most) return { error: `exceeded limit of ${most} with ${held} alerts` };
  return { alerts: [...active.values()] };
}

/**
 * The alerts to send to Alertmanager after an evaluation at `ts`, as Prometheus's sendAlerts: firing ones not sent
 * within the resend delay, and ones resolved since they were last sent; each is marked sent, valid for four
 * intervals (so Alertmanager resolves it itself if the board stops sending).
 */
export function alertsToSend(alerts: Alert[], ts: number, intervalMs: number): Alert[] {
  const sending: Alert[] = [];
  for (const alert of alerts) {
    if (alert.state === "pending") continue;
    const resolvedSinceSent = alert.resolvedAt > alert.lastSentAt;
    const sentRecently = alert.lastSentAt !== 0 && alert.lastSentAt + RULE_LIMITS.resendDelayMs >= ts;
    if (!resolvedSinceSent && sentRecently) continue;
    alert.lastSentAt = ts;
    alert.validUntil = ts + 4 * Math.max(intervalMs, RULE_LIMITS.resendDelayMs);
    sending.push(alert);
  }
  return sending;
}
