import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { groupOffsetMs } from "../../worker/rules/group-offset.ts";
import { RULE_LIMITS } from "../../worker/rules/limits.ts";
import { ruleFileName } from "../../worker/rules/rule-file.ts";
import { answer, freshBoard, hubStub, ingest, request, token, watching } from "./helpers.ts";

const RULES = `
groups:
  - name: temperatures
    interval: 10s
    rules:
      - alert: TooHot
        expr: temp_c > 25
        labels:
          severity: page
        annotations:
          summary: "{{ $labels.instance }} in {{ $labels.room }} is {{ $value }} C ({{ humanize $value }})"
      - record: room:temp_c:max
        expr: max by (room) (temp_c)
`;

/** Where the group of RULES falls in its 10 s interval on a board, as Prometheus places groups. */
const offset = (name: string) => groupOffsetMs(ruleFileName(name), "temperatures", 10_000);

async function board() {
  const name = freshBoard();
  return { name, admin: await token("admin", name), viewer: await token("viewer", name) };
}

function putRules(name: string, credential: string, body: string, type = "application/yaml") {
  return answer(
    request(`/api/v1/boards/${name}/rules`, {
      method: "PUT",
      headers: { authorization: `Bearer ${credential}`, "content-type": type },
      body,
    }),
  );
}

const get = (name: string, path: string, credential: string) =>
  answer(request(`/api/v1/boards/${name}/${path}`, { headers: { authorization: `Bearer ${credential}` } }));

/** Points of devices in the past (so an evaluation at the last multiple of the interval reads them). */
async function post(name: string, device: string, value: number, agoMs = 30_000) {
  const response = await ingest(await token("device", name, device), {
    points: [{ metric: "temp_c", value, labels: { room: "lab" }, ts: Date.now() - agoMs }],
  });
  expect(response.status).toBe(202);
}

describe("rule files: PUT and GET /boards/:board/rules", () => {
  it("stores a Prometheus rule file given as YAML and returns it as JSON, or YAML when asked", async () => {
    const { name, admin, viewer } = await board();
    const put = await putRules(name, admin, RULES);
    expect(put.status).toBe(200);
    const { status, body } = await get(name, "rules", viewer);
    expect(status).toBe(200);
    expect(body.groups[0]).toEqual({
      name: "temperatures",
      interval: "10s",
      rules: [
        {
          alert: "TooHot",
          expr: "temp_c > 25",
          labels: { severity: "page" },
          annotations: {
            summary: "{{ $labels.instance }} in {{ $labels.room }} is {{ $value }} C ({{ humanize $value }})",
          },
        },
        { record: "room:temp_c:max", expr: "max by (room) (temp_c)" },
      ],
    });
    const yaml = await request(`/api/v1/boards/${name}/rules`, {
      headers: { authorization: `Bearer ${viewer}`, accept: "application/yaml" },
    });
    expect(yaml.headers.get("content-type")).toMatch(/^application\/yaml/);
    expect(await yaml.text()).toContain("alert: TooHot");
  });

  it("takes the same file as JSON", async () => {
    const { name, admin } = await board();
    const json = JSON.stringify({
      groups: [{ name: "g", rules: [{ alert: "Up", expr: "up == 0", for: "5m" }] }],
    });
    const { status, body } = await putRules(name, admin, json, "application/json");
    expect(status).toBe(200);
    expect(body.groups[0].rules[0]).toEqual({ alert: "Up", expr: "up == 0", for: "5m" });
  });

  const refusals: Array<[string, string, RegExp, string]> = [
    [
      "an expression that does not parse",
      "- alert: A\n        expr: 'sum(('",
      /group "g", rule 1, alert "A": could not parse expression/,
      "groups[0].rules[0].expr",
    ],
    [
      "a bad duration",
      "- alert: A\n        expr: up\n        for: 5 minutes",
      /not a valid duration/,
      "groups[0].rules[0].for",
    ],
    [
      "a recording rule with for",
      "- record: a:b\n        expr: up\n        for: 1m",
      /invalid field 'for' in recording rule/,
      "groups[0].rules[0].for",
    ],
    [
      "both alert and record",
      "- record: a\n        alert: b\n        expr: up",
      /only one of 'record' and 'alert'/,
      "groups[0].rules[0]",
    ],
    ["no expr", "- alert: A", /field 'expr' must be set/, "groups[0].rules[0].expr"],
    [
      "an invalid label name",
      "- alert: A\n        expr: up\n        labels: {'bad-name': x}",
      /invalid label name: bad-name/,
      "groups[0].rules[0].labels.bad-name",
    ],
    [
      "an unknown field",
      "- alert: A\n        expr: up\n        severity: page",
      /field severity not found/,
      "groups[0].rules[0].severity",
    ],
    [
      "a template it cannot expand",
      "- alert: A\n        expr: up\n        annotations: {s: '{{ range $x }}'}",
      /annotation s: template/,
      "groups[0].rules[0].annotations.s",
    ],
  ];
  for (const [what, rule, message, path] of refusals)
    it(`refuses ${what} with 400 naming group, rule and field, and keeps the stored file`, async () => {
      const { name, admin, viewer } = await board();
      expect((await putRules(name, admin, RULES)).status).toBe(200);
      const { status, body } = await putRules(
        name,
        admin,
        `groups:\n  - name: g\n    rules:\n      ${rule}\n`,
      );
      expect(status).toBe(400);
      expect(body.error.code).toBe("invalid_rules");
      expect(body.error.message).toMatch(message);
      expect(body.error.path).toBe(path);
      expect((await get(name, "rules", viewer)).body.groups[0].name).toBe("temperatures");
    });

  it("refuses a repeated group name, as promtool does", async () => {
    const { name, admin } = await board();
    const { status, body } = await putRules(
      name,
      admin,
      "groups: [{name: a, rules: []}, {name: a, rules: []}]",
    );
    expect(status).toBe(400);
    expect(body.error).toMatchObject({
      message: 'groupname: "a" is repeated in the same file',
      path: "groups[1].name",
    });
  });

  it("refuses files past the limits: groups, an interval below the minimum, the body size", async () => {
    const { name, admin } = await board();
    const groups = Array.from({ length: RULE_LIMITS.maxGroups + 1 }, (_, i) => ({
      name: `g${i}`,
      rules: [],
    }));
    const many = await putRules(name, admin, JSON.stringify({ groups }));
    expect(many.status).toBe(400);
    expect(many.body.error.path).toBe("groups");
    const fast = await putRules(name, admin, "groups: [{name: a, interval: 1s, rules: []}]");
    expect(fast.body.error).toMatchObject({ code: "invalid_rules", path: "groups[0].interval" });
    const big = await putRules(name, admin, `# ${"x".repeat(RULE_LIMITS.maxBodyBytes)}\ngroups: []`);
    expect(big.status).toBe(413);
  });

  it("lets only admins replace the file", async () => {
    const { name, viewer } = await board();
    expect((await putRules(name, viewer, RULES)).status).toBe(403);
  });

  it("refuses a body that is not YAML", async () => {
    const { name, admin } = await board();
    const { status, body } = await putRules(name, admin, "groups: [unclosed");
    expect(status).toBe(400);
    expect(body.error).toMatchObject({ code: "invalid_rules", path: "body" });
  });
});

describe("rule evaluation on the hub's alarm", () => {
  it("fires one alert per series over threshold with expanded annotations, and records a series", async () => {
    const { name, admin, viewer } = await board();
    await post(name, "sensor-1", 30);
    await post(name, "sensor-2", 20);
    expect((await putRules(name, admin, RULES)).status).toBe(200);
    const before = (await get(name, "stats", admin)).body;
    expect(await runDurableObjectAlarm(hubStub(name))).toBe(true);
    const after = (await get(name, "stats", admin)).body;
    // One evaluation of two rules: the group's state row, the row of its transitions (an alert fired) and the
    // ledger on the hub, the recorded batch and its new series on the shard.
    expect(after.rowsWritten - before.rowsWritten).toBeGreaterThan(0);
    expect(after.rowsWritten - before.rowsWritten).toBeLessThanOrEqual(8);

    const alerts = await get(name, "prometheus/api/v1/alerts", viewer);
    expect(alerts.body.data.alerts).toEqual([
      {
        labels: { alertname: "TooHot", instance: "sensor-1", room: "lab", severity: "page" },
        annotations: { summary: "sensor-1 in lab is 30 C (30)" },
        state: "firing",
        activeAt: expect.stringMatching(/^\d{4}-.*Z$/),
        value: "3e+01",
      },
    ]);
    const rules = await get(name, "prometheus/api/v1/rules", viewer);
    const group = rules.body.data.groups[0];
    expect(group).toMatchObject({ name: "temperatures", interval: 10, samplesRecorded: 1 });
    // The posted points are still in the shard's memory: the evaluation reads no row.
    expect(group.rowsRead).toBe(0);
    expect(group.rules[0]).toMatchObject({ name: "TooHot", state: "firing", health: "ok", type: "alerting" });
    expect(group.rules[1]).toMatchObject({ name: "room:temp_c:max", health: "ok", type: "recording" });
    expect(Date.parse(group.lastEvaluation) % 10_000).toBe(offset(name));

    const time = Date.parse(group.lastEvaluation) / 1000;
    const recorded = await get(name, `prometheus/api/v1/query?query=room:temp_c:max&time=${time}`, viewer);
    expect(recorded.body.data.result).toEqual([
      { metric: { __name__: "room:temp_c:max", room: "lab" }, value: [time, "30"] },
    ]);
  });

  it("arms the hub's alarm for the group's next evaluation in its interval, with no viewer connected", async () => {
    const { name, admin } = await board();
    expect((await putRules(name, admin, RULES)).status).toBe(200);
    const next = await runInDurableObject(hubStub(name), (_hub, state) => state.storage.getAlarm());
    expect(next).not.toBeNull();
    expect(next! % 10_000).toBe(offset(name));
    expect(next! - Date.now()).toBeLessThanOrEqual(10_000);
  });
});

describe("the rule file's alerts where the dashboard shows alerts", () => {
  const hot = '{instance="sensor-1",room="lab",severity="page"}';
  const about = { instance: "sensor-1", room: "lab" };

  it("lists its alerting rules and the alerts that hold beside the threshold rules'", async () => {
    const { name, admin, viewer } = await board();
    await post(name, "sensor-1", 30);
    expect((await putRules(name, admin, RULES)).status).toBe(200);
    await runDurableObjectAlarm(hubStub(name));
    const { body } = await get(name, "alerts", viewer);
    expect(body.promqlRules).toEqual([
      {
        id: "promql:temperatures:TooHot",
        group: "temperatures",
        name: "TooHot",
        expr: "temp_c > 25",
        forMs: 0,
      },
    ]);
    expect(body.active).toEqual([
      {
        rule: "promql:temperatures:TooHot",
        series: hot,
        state: "firing",
        since: expect.any(Number),
        value: 30,
        labels: about,
      },
    ]);
    expect(body.active[0].since % 10_000).toBe(offset(name));
  });

  it("keeps each transition in the alert history, numbered by the hub", async () => {
    const { name, admin, viewer } = await board();
    await post(name, "sensor-1", 30);
    expect((await putRules(name, admin, RULES)).status).toBe(200);
    await runDurableObjectAlarm(hubStub(name));
    const { body } = await get(name, "alerts/events?order=desc", viewer);
    expect(body.events).toEqual([
      {
        rule: "promql:temperatures:TooHot",
        name: "TooHot",
        series: hot,
        state: "firing",
        from: "ok",
        at: expect.any(Number),
        value: 30,
        sid: -1,
        seq: 1,
        labels: about,
      },
    ]);
  });

  it("sends each transition to watching viewers as a live alert message", async () => {
    const { name, admin } = await board();
    await post(name, "sensor-1", 30);
    expect((await putRules(name, admin, RULES)).status).toBe(200);
    await watching(name, async (viewer) => {
      await runDurableObjectAlarm(hubStub(name));
      const message = await viewer.nextMessage("alert");
      expect(message.event).toMatchObject({
        rule: "promql:temperatures:TooHot",
        series: hot,
        state: "firing",
      });
    });
  });

  it("resolves the alerts of a rule that leaves the file, so no banner keeps showing them", async () => {
    const { name, admin, viewer } = await board();
    await post(name, "sensor-1", 30);
    expect((await putRules(name, admin, RULES)).status).toBe(200);
    await runDurableObjectAlarm(hubStub(name));
    await watching(name, async (live) => {
      expect((await putRules(name, admin, "groups: []")).status).toBe(200);
      const message = await live.nextMessage("alert");
      expect(message.event).toMatchObject({ series: hot, state: "resolved", from: "firing", seq: 2 });
    });
    expect((await get(name, "alerts", viewer)).body.active).toEqual([]);
  });
});
