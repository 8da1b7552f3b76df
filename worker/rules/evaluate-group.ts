import { engineOptions } from "../prometheus/run-query.ts";
import { instantQuery, PromQLError, type Querier, type QueryData } from "../promql/index.ts";
import { labelsKey } from "../promql/labels.ts";
import { type Alert, type CompiledAlerting, evaluateAlerting, type ResultSample } from "./alert-state.ts";
import { RULE_LIMITS } from "./limits.ts";
import type { RecordingRule, RuleGroup } from "./rule-file.ts";
import type { Notified } from "./webhook-notices.ts";

/** How a rule's last evaluation went, as `/api/v1/rules` reports it; alerting rules keep their alerts. */
export interface RuleState {
  health: "unknown" | "ok" | "err";
  lastError: string;
  lastEvaluation: number;
  evaluationMs: number;
  alerts: Alert[];
}

/** A group's last evaluation and what it cost: SQLite rows its queries read on the shards, samples it recorded. */
export interface GroupState {
  lastEvaluation: number;
  evaluationMs: number;
  rowsRead: number;
  samplesRecorded: number;
  rules: RuleState[];
  /** What each alert name's webhooks were last told (see webhookNotices). */
  notified?: Record<string, Notified>;
}

/** A recording rule's samples, to be stored as series of the board at `ts`. */
export interface RecordedSamples {
  ts: number;
  samples: ResultSample[];
}

export const emptyRuleState = (): RuleState => ({
  health: "unknown",
  lastError: "",
  lastEvaluation: 0,
  evaluationMs: 0,
  alerts: [],
});

/** A query's value text back to the float it printed (`formatValue` round-trips; Go spells infinities). */
function sampleValue(text: string): number {
  if (text === "+Inf") return Number.POSITIVE_INFINITY;
  if (text === "-Inf") return Number.NEGATIVE_INFINITY;
  return Number(text);
}

/** A rule's result as samples: a vector's series, or a scalar as one series without labels (as Prometheus does). */
function resultSamples(data: QueryData): ResultSample[] {
  if (data.resultType === "vector")
    return data.result.map((item) => ({ labels: item.metric, value: sampleValue(item.value[1]) }));
  if (data.resultType === "scalar") return [{ labels: {}, value: sampleValue(data.result[1]) }];
  throw new PromQLError("execution", `rule result is not a vector or scalar: ${data.resultType}`);
}

/** A recording rule's series: the result's labels with `__name__` the rule's name, and the rule's labels. */
function recordedSamples(rule: RecordingRule, result: ResultSample[], limit: number): ResultSample[] {
  const seen = new Set<string>();
  const out = result.map((sample) => {
    const labels = { ...sample.labels, ...rule.labels, __name__: rule.record };
    const key = labelsKey(labels);
    if (seen.has(key))
      throw new PromQLError(
        "execution",
        "vector contains metrics with the same labelset after applying rule labels",
      );
    seen.add(key);
    return { labels, value: sample.value };
  });
  const most = limit > 0 ? limit : RULE_LIMITS.maxSeriesPerRule;
  if (out.length > most)
    throw new PromQLError("execution", `exceeded limit of ${most} with ${out.length} series`);
  return out;
}

/**
 * Evaluates a group's rules in order at `ts`, each an instant query over `querier()` (a fresh one per rule, so
 * each rule's cost and limits are its own). Recording rules give samples to store; `store` stores them before the
 * next rule runs, so a later rule of the group reads them, as in Prometheus.
 */
export async function evaluateGroup(
  group: RuleGroup,
  compiled: ReadonlyArray<CompiledAlerting | null>,
  previous: readonly RuleState[],
  ts: number,
  querier: () => Querier & { cost: { rowsRead: number } },
  store: (recorded: RecordedSamples) => Promise<void>,
): Promise<GroupState> {
  const started = performance.now();
  const state: GroupState = {
    lastEvaluation: ts,
    evaluationMs: 0,
    rowsRead: 0,
    samplesRecorded: 0,
    rules: [],
  };
  for (const [i, rule] of group.rules.entries()) {
    const ruleStarted = performance.now();
    const before = previous[i] ?? emptyRuleState();
    const next: RuleState = { ...before, lastEvaluation: ts };
    const q = querier();
    try {
      const data = await instantQuery(q, rule.expr, ts, engineOptions());
      const result = resultSamples(data);
      const alerting = compiled[i];
      if (alerting) {
        const evaluated = evaluateAlerting(alerting, before.alerts, result, ts, group.limit);
        if ("error" in evaluated) throw new PromQLError("execution", evaluated.error);
        next.alerts = evaluated.alerts;
      } else {
        const samples = recordedSamples(rule as RecordingRule, result, group.limit);
        if (samples.length > 0) await store({ ts, samples });
        state.samplesRecorded += samples.length;
      }
      next.health = "ok";
      next.lastError = "";
    } catch (error) {
      next.health = "err";
      next.lastError = error instanceof Error ? error.message : String(error);
    }
    state.rowsRead += q.cost.rowsRead;
    next.evaluationMs = performance.now() - ruleStarted;
    state.rules.push(next);
  }
  state.evaluationMs = performance.now() - started;
  return state;
}

/** The time of a group's evaluation due at or before `now`: the last multiple of its interval, plus its offset. */
export const evaluationTime = (intervalMs: number, offsetMs: number, now: number): number =>
  Math.floor((now - offsetMs) / intervalMs) * intervalMs + offsetMs;
