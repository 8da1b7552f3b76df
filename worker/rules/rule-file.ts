import { parse as parseYaml } from "yaml";
import { ApiError } from "../http/errors.ts";
import { PROMQL_LIMITS } from "../prometheus/limits.ts";
import { MAX_DURATION_MS, PromQLError, parseDuration, parseExpr } from "../promql/index.ts";
import { RULE_LIMITS } from "./limits.ts";
import { compileTemplate } from "./template.ts";

/** An alerting rule as the file wrote it, durations also in ms. */
export interface AlertingRule {
  alert: string;
  expr: string;
  for: string;
  forMs: number;
  keepFiringFor: string;
  keepFiringForMs: number;
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

export interface RecordingRule {
  record: string;
  expr: string;
  labels: Record<string, string>;
}

export type Rule = AlertingRule | RecordingRule;

export interface RuleGroup {
  name: string;
  interval: string;
  intervalMs: number;
  /** Alerts or series a rule may give at most (0: no limit but the board's), as Prometheus's group `limit`. */
  limit: number;
  rules: Rule[];
}

const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const GROUP_FIELDS = new Set(["name", "interval", "limit", "rules"]);
const RULE_FIELDS = new Set(["alert", "record", "expr", "for", "keep_firing_for", "labels", "annotations"]);

const invalid = (message: string, path: string) => new ApiError(400, "invalid_rules", message, path);

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);

/** A scalar field as text (YAML may give a number: `for: 0`); "" when absent. */
function scalar(value: unknown, where: string, path: string): string {
  if (value === undefined || value === null) return "";
  if (typeof value === "string" || typeof value === "number") return String(value);
  throw invalid(`${where}: must be a string`, path);
}

function duration(value: unknown, where: string, path: string): { text: string; ms: number } {
  const text = scalar(value, where, path);
  if (text === "") return { text: "", ms: 0 };
  // Prometheus's model.Duration: PromQL's syntax, within int64 nanoseconds.
  const ms = parseDuration(text);
  if (ms === undefined || ms > MAX_DURATION_MS)
    throw invalid(`${where}: not a valid duration string: ${JSON.stringify(text)}`, path);
  return { text, ms };
}

function unknownFields(node: Record<string, unknown>, known: Set<string>, where: string, path: string) {
  const extra = Object.keys(node).find((key) => !known.has(key));
  if (extra !== undefined) throw invalid(`${where}: field ${extra} not found`, `${path}.${extra}`);
}

/** A labels or annotations map: valid names, string values, templates that compile. */
function stringMap(value: unknown, kind: "label" | "annotation", where: string, path: string) {
  if (value === undefined || value === null) return {};
  if (!isObject(value)) throw invalid(`${where}: ${kind}s must be a map`, path);
  const out: Record<string, string> = {};
  for (const [name, raw] of Object.entries(value)) {
    if (!LABEL_NAME.test(name) || (kind === "label" && name === "__name__"))
      throw invalid(`${where}: invalid ${kind} name: ${name}`, `${path}.${name}`);
    const text = scalar(raw, where, `${path}.${name}`);
    try {
      compileTemplate(text);
    } catch (error) {
      throw invalid(`${where}: ${kind} ${name}: template: ${(error as Error).message}`, `${path}.${name}`);
    }
    out[name] = text;
  }
  return out;
}

function checkExpr(value: unknown, where: string, path: string): string {
  const expr = scalar(value, where, path);
  if (expr === "") throw invalid(`${where}: field 'expr' must be set in rule`, path);
  if (expr.length > PROMQL_LIMITS.maxExpressionLength)
    throw invalid(`${where}: expr is longer than ${PROMQL_LIMITS.maxExpressionLength} characters`, path);
  try {
    parseExpr(expr);
  } catch (error) {
    if (!(error instanceof PromQLError)) throw error;
    throw invalid(`${where}: could not parse expression: ${error.message}`, path);
  }
  return expr;
}

function checkRule(node: unknown, where: string, path: string): Rule {
  if (!isObject(node)) throw invalid(`${where}: must be a map`, path);
  unknownFields(node, RULE_FIELDS, where, path);
  const alert = scalar(node.alert, where, `${path}.alert`);
  const record = scalar(node.record, where, `${path}.record`);
  if (alert && record) throw invalid(`${where}: only one of 'record' and 'alert' must be set`, path);
  if (!alert && !record) throw invalid(`${where}: one of 'record' or 'alert' must be set`, path);
  const named = `${where}, ${alert ? "alert" : "record"} ${JSON.stringify(alert || record)}`;
  const expr = checkExpr(node.expr, named, `${path}.expr`);
  const labels = stringMap(node.labels, "label", named, `${path}.labels`);
  const forDuration = duration(node.for, named, `${path}.for`);
  const keep = duration(node.keep_firing_for, named, `${path}.keep_firing_for`);
  if (record) {
    if (node.annotations !== undefined && node.annotations !== null)
      throw invalid(`${named}: invalid field 'annotations' in recording rule`, `${path}.annotations`);
    if (forDuration.ms !== 0) throw invalid(`${named}: invalid field 'for' in recording rule`, `${path}.for`);
    if (keep.ms !== 0)
      throw invalid(`${named}: invalid field 'keep_firing_for' in recording rule`, `${path}.keep_firing_for`);
    if (!METRIC_NAME.test(record))
      throw invalid(`${named}: invalid recording rule name: ${record}`, `${path}.record`);
    return { record, expr, labels };
  }
  return {
    alert,
    expr,
    for: forDuration.text,
    forMs: forDuration.ms,
    keepFiringFor: keep.text,
    keepFiringForMs: keep.ms,
    labels,
    annotations: stringMap(node.annotations, "annotation", named, `${path}.annotations`),
  };
}

function checkGroup(node: unknown, index: number, seen: Set<string>): RuleGroup {
  const path = `groups[${index}]`;
  if (!isObject(node)) throw invalid(`group ${index}: must be a map`, path);
  const name = scalar(node.name, `group ${index}`, `${path}.name`);
  const where = `group ${JSON.stringify(name)}`;
  if (name === "") throw invalid(`group ${index}: Groupname must not be empty`, `${path}.name`);
  if (seen.has(name))
    throw invalid(`groupname: ${JSON.stringify(name)} is repeated in the same file`, `${path}.name`);
  seen.add(name);
  unknownFields(node, GROUP_FIELDS, where, path);
  const interval = duration(node.interval, where, `${path}.interval`);
  const intervalMs = interval.text === "" ? RULE_LIMITS.defaultIntervalMs : interval.ms;
  if (intervalMs < RULE_LIMITS.minIntervalMs)
    throw invalid(
      `${where}: interval must be at least ${RULE_LIMITS.minIntervalMs / 1000}s`,
      `${path}.interval`,
    );
  const limit = node.limit ?? 0;
  if (typeof limit !== "number" || !Number.isSafeInteger(limit) || limit < 0)
    throw invalid(`${where}: limit must be a non-negative integer`, `${path}.limit`);
  const rules = node.rules ?? [];
  if (!Array.isArray(rules)) throw invalid(`${where}: rules must be a list`, `${path}.rules`);
  return {
    name,
    interval: interval.text,
    intervalMs,
    limit,
    rules: rules.map((rule, i) => checkRule(rule, `${where}, rule ${i + 1}`, `${path}.rules[${i}]`)),
  };
}

/**
 * A Prometheus rule file (YAML, or the same as JSON) checked as `promtool check rules` does: unknown fields, group
 * names present and distinct, one of `alert`/`record`, `expr` parsed by the engine, durations, label and
 * annotation names, templates; plus the board's limits. Throws a 400 ApiError naming group, rule and field.
 */
export function parseRuleFile(text: string): RuleGroup[] {
  let document: unknown;
  try {
    document = parseYaml(text, { maxAliasCount: 100 });
  } catch (error) {
    throw invalid(`the rule file is not YAML or JSON: ${(error as Error).message.split("\n")[0]}`, "body");
  }
  if (document === null || document === undefined) return [];
  if (!isObject(document)) throw invalid("a rule file is a map with groups", "body");
  unknownFields(document, new Set(["groups"]), "rule file", "body");
  const groups = document.groups ?? [];
  if (!Array.isArray(groups)) throw invalid("groups must be a list", "groups");
  if (groups.length > RULE_LIMITS.maxGroups)
    throw invalid(`a board keeps at most ${RULE_LIMITS.maxGroups} rule groups`, "groups");
  const seen = new Set<string>();
  const checked = groups.map((group, i) => checkGroup(group, i, seen));
  if (checked.reduce((n, g) => n + g.rules.length, 0) > RULE_LIMITS.maxRules)
    throw invalid(`a board keeps at most ${RULE_LIMITS.maxRules} rules`, "groups");
  return checked;
}

export const isAlerting = (rule: Rule): rule is AlertingRule => "alert" in rule;

/** The groups as a rule file writes them (Prometheus's field names; empty fields left out). */
export function ruleFileOf(groups: RuleGroup[]) {
  return {
    groups: groups.map((g) => ({
      name: g.name,
      ...(g.interval ? { interval: g.interval } : {}),
      ...(g.limit ? { limit: g.limit } : {}),
      rules: g.rules.map((rule) => {
        const maps = (r: { labels: Record<string, string>; annotations?: Record<string, string> }) => ({
          ...(Object.keys(r.labels).length ? { labels: r.labels } : {}),
          ...(r.annotations && Object.keys(r.annotations).length ? { annotations: r.annotations } : {}),
        });
        if (!isAlerting(rule)) return { record: rule.record, expr: rule.expr, ...maps(rule) };
        return {
          alert: rule.alert,
          expr: rule.expr,
          ...(rule.for ? { for: rule.for } : {}),
          ...(rule.keepFiringFor ? { keep_firing_for: rule.keepFiringFor } : {}),
          ...maps(rule),
        };
      }),
    })),
  };
}

/** The name a board's rule file goes by where Prometheus names the file a group came from (`/api/v1/rules`). */
export const ruleFileName = (board: string): string => `/api/v1/boards/${board}/rules`;
