import { MAX_WEBHOOK_ATTEMPTS, retryDelay, sendWebhook } from "../alerts/webhooks.ts";
import type { Querier } from "../promql/index.ts";
import type { ActiveAlert, AlertEvent, PromqlAlertRule } from "../protocol/alerts.ts";
import { toJsonValue } from "../protocol/sample-value.ts";
import { alertsToSend, type CompiledAlerting, compileAlerting } from "./alert-state.ts";
import {
  type AlertingRuleRef,
  alertSeries,
  alertSubject,
  alertTransitions,
  promqlRuleId,
  RULES_SID,
} from "./alert-transitions.ts";
import { alertmanagerAlert, generatorUrl, sendToAlertmanagers } from "./alertmanager.ts";
import {
  emptyRuleState,
  evaluateGroup,
  evaluationTime,
  type GroupState,
  type RecordedSamples,
  type RuleState,
} from "./evaluate-group.ts";
import { groupOffsetMs } from "./group-offset.ts";
import { isAlerting, type RuleGroup } from "./rule-file.ts";
import type { AlertingConfig, RuleStore, StoredRules } from "./rule-store.ts";
import { webhookNotices } from "./webhook-notices.ts";

/** Webhooks one alarm sends at most (the rest wait for the next). */
const WEBHOOKS_PER_ALARM = 20;

/** What a board's rules need from its hub. */
export interface RuleHost {
  /** A querier over the board's shards, counting what its selections read. */
  querier(): Querier & { cost: { rowsRead: number } };
  /** Stores a recording rule's samples as series of the board (the shards' ingest path). */
  record(recorded: RecordedSamples): Promise<void>;
  /** Shows alert transitions to the board's viewers, as shards' threshold alerts are shown. */
  announce(events: AlertEvent[]): Promise<void>;
}

/** A group's alerting rules as their alerts name them (`promqlRuleId`; recording rules have none). */
function ruleRefs(group: RuleGroup): Array<AlertingRuleRef | null> {
  const seen = new Map<string, number>();
  return group.rules.map((rule) => {
    if (!isAlerting(rule)) return null;
    const ordinal = seen.get(rule.alert) ?? 0;
    seen.set(rule.alert, ordinal + 1);
    return { id: promqlRuleId(group.name, rule.alert, ordinal), name: rule.alert, labels: rule.labels };
  });
}

/** A group's alerts of each rule, kept by rules of the same name and labels when the file is replaced. */
function carriedOver(
  group: RuleGroup,
  old: RuleGroup | undefined,
  state: GroupState | undefined,
): RuleState[] {
  const identity = (rule: RuleGroup["rules"][number]) =>
    `${isAlerting(rule) ? rule.alert : rule.record}\u0000${JSON.stringify(rule.labels)}`;
  const taken = new Set<number>();
  return group.rules.map((rule) => {
    const i = old?.rules.findIndex((o, k) => !taken.has(k) && identity(o) === identity(rule)) ?? -1;
    if (i < 0 || !state?.rules[i]) return emptyRuleState();
    taken.add(i);
    return state.rules[i]!;
  });
}

/**
 * A board's alerting and recording rules on its hub: the rule file, each group evaluated every `interval` at
 * multiples of it (driven by the hub's alarm), alert states kept in SQLite between evaluations, and alerts sent
 * to the board's Alertmanagers as Prometheus sends them.
 */
export class BoardRules {
  private readonly store: RuleStore;
  private readonly host: RuleHost;
  /** The rule file's name, which with a group's name places the group in its interval (`groupOffsetMs`). */
  private readonly file: string;
  private stored: StoredRules;
  private compiled: Array<Array<CompiledAlerting | null>>;

  constructor(store: RuleStore, host: RuleHost, file: string) {
    this.store = store;
    this.host = host;
    this.file = file;
    this.stored = store.rules();
    this.compiled = this.compile();
  }

  private compile() {
    return this.stored.groups.map((g) => g.rules.map((r) => (isAlerting(r) ? compileAlerting(r) : null)));
  }

  get rules(): StoredRules {
    return this.stored;
  }

  states(): Map<string, GroupState> {
    return this.store.states();
  }

  /**
   * Replaces the rule file; alerts of rules kept (same group, name and labels) carry over, as on a reload. The
   * dashboard is told that the alerts of rules that left resolved.
   */
  async replace(groups: RuleGroup[], externalUrl: string): Promise<void> {
    const names = new Map(this.alertingRules().map((rule) => [rule.id, rule.name]));
    const held = this.activeAlerts();
    const oldGroups = new Map(this.stored.groups.map((g) => [g.name, g]));
    const oldStates = this.store.states();
    const states = new Map<string, GroupState>();
    for (const group of groups) {
      const state = oldStates.get(group.name);
      const rules = carriedOver(group, oldGroups.get(group.name), state);
      if (state) states.set(group.name, { ...state, rules });
    }
    this.stored = { groups, externalUrl };
    this.compiled = this.compile();
    this.store.replaceRules(this.stored, states);
    const kept = new Set(this.activeAlerts().map((alert) => `${alert.rule}\u0000${alert.series}`));
    const now = Date.now();
    const gone = held
      .filter((alert) => !kept.has(`${alert.rule}\u0000${alert.series}`))
      .map((alert) => ({
        rule: alert.rule,
        name: names.get(alert.rule) ?? alert.rule,
        series: alert.series,
        state: "resolved" as const,
        from: alert.state,
        at: now,
        value: alert.value,
        sid: RULES_SID,
        ...(alert.labels ? { labels: alert.labels } : {}),
      }));
    await this.host.announce(this.store.appendTransitions(gone));
  }

  /** When the next group or webhook retry is due, or null with neither (`states`: the groups' as stored). */
  nextDue(now: number, states = this.store.states()): number | null {
    let next = this.store.nextWebhookDue();
    for (const group of this.stored.groups) {
      const last = states.get(group.name)?.lastEvaluation ?? this.evaluationTime(group, now);
      const due = last + group.intervalMs;
      next = next === null ? due : Math.min(next, due);
    }
    return next;
  }

  /** A group's evaluation due at or before `now`, at its offset in its interval as Prometheus places it. */
  private evaluationTime(group: RuleGroup, now: number): number {
    return evaluationTime(group.intervalMs, groupOffsetMs(this.file, group.name, group.intervalMs), now);
  }

  /**
   * Evaluates every group due by `now` (once per interval, however often the alarm runs), then notifies; returns the
   * groups' states as now stored.
   */
  async evaluateDue(now: number): Promise<Map<string, GroupState>> {
    const states = this.store.states();
    const config = this.store.alerting();
    for (const [g, group] of this.stored.groups.entries()) {
      const ts = this.evaluationTime(group, now);
      const previous = states.get(group.name);
      if (previous && previous.lastEvaluation >= ts) continue;
      const state = await evaluateGroup(
        group,
        this.compiled[g]!,
        previous?.rules ?? group.rules.map(emptyRuleState),
        ts,
        () => this.host.querier(),
        (recorded) => this.host.record(recorded),
      );
      const links = group.rules.map((rule) => generatorUrl(this.stored.externalUrl, rule.expr));
      const sending = state.rules.flatMap((rule, i) =>
        alertsToSend(rule.alerts, ts, group.intervalMs).map((alert) => alertmanagerAlert(alert, links[i]!)),
      );
      const held = state.rules.flatMap((rule, i) =>
        rule.alerts
          .filter((alert) => alert.state !== "pending")
          .map((alert) => ({ alert, sent: alertmanagerAlert(alert, links[i]!) })),
      );
      const { notices, notified } = webhookNotices(
        held,
        previous?.notified ?? {},
        ts,
        this.stored.externalUrl,
      );
      state.notified = notified;
      const refs = ruleRefs(group);
      const transitions = refs.flatMap((ref, i) =>
        ref ? alertTransitions(ref, previous?.rules[i]?.alerts ?? [], state.rules[i]!.alerts, ts) : [],
      );
      this.store.saveState(group.name, state);
      states.set(group.name, state);
      await this.host.announce(this.store.appendTransitions(transitions));
      for (const notice of notices)
        for (const { url } of config.webhooks) this.store.enqueueWebhook(url, notice, now);
      await sendToAlertmanagers(config.alertmanagers, sending);
    }
    await this.deliverWebhooks(config.webhookSecret, now);
    return states;
  }

  /** Sends the queued webhooks that are due, signed; a failed one is retried with backoff, as rules' webhooks are. */
  private async deliverWebhooks(secret: string, now: number): Promise<void> {
    const due = this.store.dueWebhooks(now, WEBHOOKS_PER_ALARM);
    await Promise.all(
      due.map(async ({ id, url, body, attempts }) => {
        const ok = await sendWebhook(url, secret, body, `rules_${id}`, now);
        if (ok || attempts + 1 >= MAX_WEBHOOK_ATTEMPTS) this.store.dropWebhook(id);
        else this.store.postponeWebhook(id, attempts + 1, Date.now() + retryDelay(attempts + 1));
      }),
    );
  }

  /** The rule file's alerting rules, with the ids their alerts and transitions carry. */
  alertingRules(): PromqlAlertRule[] {
    return this.stored.groups.flatMap((group) => {
      const refs = ruleRefs(group);
      return group.rules.flatMap((rule, i) =>
        isAlerting(rule)
          ? [{ id: refs[i]!.id, group: group.name, name: rule.alert, expr: rule.expr, forMs: rule.forMs }]
          : [],
      );
    });
  }

  /** The rule file's alerts that hold (pending or firing), as the dashboard lists threshold rules' alerts. */
  activeAlerts(): ActiveAlert[] {
    const states = this.store.states();
    return this.stored.groups.flatMap((group) => {
      const refs = ruleRefs(group);
      return (states.get(group.name)?.rules ?? []).flatMap((rule, i) => {
        const ref = refs[i];
        return rule.alerts.flatMap((alert): ActiveAlert[] =>
          alert.state === "inactive" || !ref
            ? []
            : [
                {
                  rule: ref.id,
                  series: alertSeries(alert.labels),
                  state: alert.state,
                  since: alert.state === "firing" ? alert.firedAt : alert.activeAt,
                  value: toJsonValue(alert.value),
                  labels: alertSubject(alert.labels, ref),
                },
              ],
        );
      });
    });
  }

  /** The rule file's alert transitions at or after `from`, as `alertEvents` orders them. */
  transitions(from: number, limit: number, newestFirst: boolean): AlertEvent[] {
    return this.store.transitions(from, limit, newestFirst);
  }

  alerting(): AlertingConfig {
    return this.store.alerting();
  }

  setAlerting(config: AlertingConfig): void {
    this.store.setAlerting(config);
  }
}
