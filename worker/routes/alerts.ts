import { type Context, Hono } from "hono";
import { parseRuleSpec } from "../alerts/rule-spec.ts";
import { hubStub } from "../board/stubs.ts";
import type { Env } from "../env.ts";
import { VIEWER_KINDS } from "../http/credentials.ts";
import { ApiError } from "../http/errors.ts";
import { adminBodyLimit, jsonObject } from "../http/json-body.ts";
import { methodNotAllowed } from "../http/methods.ts";
import { knownParams } from "../http/params.ts";
import { parseTime } from "../http/time-params.ts";
import { type AdminAlertRule, ALERT_LIMITS, type AlertRule } from "../protocol/index.ts";
import { authorizeBoard } from "./board-access.ts";

export type AlertsContext = { Bindings: Env };

/** Transitions one events request returns at most, and the window it covers by default. */
export const MAX_ALERT_EVENTS = 1000;
const DEFAULT_EVENTS_WINDOW_MS = 24 * 3_600_000;

/** What a viewer sees of a rule: not where its webhooks go, nor their secret. */
function forViewers({ webhook: _webhook, webhookSecret: _secret, ...rule }: AdminAlertRule): AlertRule {
  return rule;
}

/** A query parameter that is an integer from 0 to `max`, or `fallback` when absent. */
function integerParam(c: Context, name: string, fallback: number, max: number): number {
  const text = c.req.query(name);
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!/^\d{1,16}$/.test(text) || value > max)
    throw new ApiError(400, "invalid_parameter", `${name} must be an integer from 0 to ${max}`, name);
  return value;
}

/**
 * `/boards/:board/alerts`: the threshold rules, the rule file's alerting rules and the alerts that hold (any
 * credential of the board; viewers do not see webhooks), threshold rules added and deleted by admin tokens, and
 * `/alerts/events`, the transitions of both.
 */
export const alertRoutes = new Hono<AlertsContext>()
  .get("/boards/:board/alerts", knownParams(), async (c) => {
    const { name, admin } = await authorizeBoard(c, VIEWER_KINDS);
    const { rules, promqlRules, active } = await hubStub(c.env, name).alerts();
    return c.json({ rules: admin ? rules : rules.map(forViewers), promqlRules, active });
  })
  .post("/boards/:board/alerts", knownParams(), adminBodyLimit(), async (c) => {
    const { name } = await authorizeBoard(c, ["admin"]);
    const spec = parseRuleSpec(await jsonObject(c, "one alert rule"));
    const rule = await hubStub(c.env, name).addAlertRule(spec);
    if (!rule)
      throw new ApiError(409, "too_many_rules", `a board keeps at most ${ALERT_LIMITS.maxRules} alert rules`);
    return c.json(rule, 201);
  })
  .all("/boards/:board/alerts", methodNotAllowed("GET", "POST"))
  .get("/boards/:board/alerts/events", knownParams("from", "limit", "order"), async (c) => {
    const { name } = await authorizeBoard(c, VIEWER_KINDS);
    const now = Date.now();
    const from = parseTime(c.req.query("from") ?? String(now - DEFAULT_EVENTS_WINDOW_MS), now, "from");
    const limit = integerParam(c, "limit", MAX_ALERT_EVENTS, MAX_ALERT_EVENTS);
    const order = c.req.query("order") ?? "asc";
    if (order !== "asc" && order !== "desc")
      throw new ApiError(
        400,
        "invalid_parameter",
        "order is asc (oldest first) or desc (newest first)",
        "order",
      );
    return c.json(await hubStub(c.env, name).alertEvents(from, limit, order === "desc"));
  })
  .all("/boards/:board/alerts/events", methodNotAllowed("GET"))
  .delete("/boards/:board/alerts/:id", knownParams(), async (c) => {
    const { name } = await authorizeBoard(c, ["admin"]);
    const id = c.req.param("id");
    if (!/^rule_[A-Za-z0-9_-]{12}$/.test(id) || !(await hubStub(c.env, name).deleteAlertRule(id)))
      throw new ApiError(404, "unknown_rule", "this board has no alert rule by that id", "id");
    return c.json({ deleted: id });
  })
  .all("/boards/:board/alerts/:id", methodNotAllowed("DELETE"));
