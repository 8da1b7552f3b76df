import { Hono } from "hono";
import * as v from "valibot";
import { stringify as toYaml } from "yaml";
import { Webhook } from "../alerts/rule-spec.ts";
import { hubStub } from "../board/stubs.ts";
import { VIEWER_KINDS } from "../http/credentials.ts";
import { adminBodyLimit, jsonObject } from "../http/json-body.ts";
import { methodNotAllowed } from "../http/methods.ts";
import { knownParams } from "../http/params.ts";
import { validate } from "../http/schema.ts";
import { toBase64Url } from "../protocol/index.ts";
import { RULE_LIMITS } from "../rules/limits.ts";
import { parseRuleFile, ruleFileOf } from "../rules/rule-file.ts";
import type { AlertsContext } from "./alerts.ts";
import { authorizeBoard } from "./board-access.ts";

/** Alertmanagers and webhooks a board sends its rules' alerts to, at most. */
export const MAX_RECEIVERS = 5;

const AlertingBody = v.strictObject({
  alertmanagers: v.optional(v.pipe(v.array(Webhook), v.maxLength(MAX_RECEIVERS)), []),
  webhooks: v.optional(v.pipe(v.array(v.strictObject({ url: Webhook })), v.maxLength(MAX_RECEIVERS)), []),
});

/**
 * `/boards/:board/rules`: the board's Prometheus rule file (any credential reads it, YAML when asked with
 * `Accept: application/yaml`; admins replace it with YAML or JSON), and `/boards/:board/alerting`: where the
 * rules' alerts go (admin).
 */
export const ruleRoutes = new Hono<AlertsContext>()
  .get("/boards/:board/rules", knownParams(), async (c) => {
    const { name } = await authorizeBoard(c, VIEWER_KINDS);
    const file = ruleFileOf((await hubStub(c.env, name).ruleFile()).groups);
    if (/\byaml\b/.test(c.req.header("accept") ?? ""))
      return c.body(toYaml(file), 200, { "content-type": "application/yaml; charset=utf-8" });
    return c.json(file);
  })
  .put("/boards/:board/rules", knownParams(), adminBodyLimit(RULE_LIMITS.maxBodyBytes), async (c) => {
    const { name } = await authorizeBoard(c, ["admin"]);
    const groups = parseRuleFile(new TextDecoder().decode(await c.req.arrayBuffer()));
    const externalUrl = `${new URL(c.req.url).origin}/api/v1/boards/${name}/prometheus`;
    await hubStub(c.env, name).setRuleFile(groups, externalUrl);
    return c.json(ruleFileOf(groups));
  })
  .all("/boards/:board/rules", methodNotAllowed("GET", "PUT"))
  .get("/boards/:board/alerting", knownParams(), async (c) => {
    const { name } = await authorizeBoard(c, ["admin"]);
    return c.json(await hubStub(c.env, name).alerting());
  })
  .put("/boards/:board/alerting", knownParams(), adminBodyLimit(), async (c) => {
    const { name } = await authorizeBoard(c, ["admin"]);
    const body = validate(AlertingBody, await jsonObject(c, "Alertmanagers and webhooks"));
    const hub = hubStub(c.env, name);
    const { webhookSecret } = await hub.alerting();
    const secret = webhookSecret || `whsec_${toBase64Url(crypto.getRandomValues(new Uint8Array(24)))}`;
    const config = { ...body, webhookSecret: secret };
    await hub.setAlerting(config);
    return c.json(config);
  })
  .all("/boards/:board/alerting", methodNotAllowed("GET", "PUT"));
