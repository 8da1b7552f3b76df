/**
 * A board's alerting rule, evaluated by its hub's alarm under `wrangler dev` with no viewer connected, sends its
 * alert to Debian's real Alertmanager as Prometheus does: Alertmanager lists it while it fires, then drops it once
 * the board sends it resolved; a webhook gets the same in Alertmanager's webhook format, signed and retried.
 */
import { createHmac, randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Daemon } from "../../scripts/daemon.ts";
import { mintToken } from "../../scripts/mint-token.ts";
import { startRealAlertmanager } from "../../scripts/real-alertmanager.ts";
import { webhookReceiver } from "./webhook-receiver.ts";
import { startWranglerDev, type WranglerDev } from "./wrangler-board.ts";

const secret = randomBytes(32).toString("hex");
const board = `rules-${randomBytes(4).toString("hex")}`;
let wrangler: WranglerDev | undefined;
let alertmanager: Daemon | undefined;
let baseUrl = "";

beforeAll(async () => {
  [wrangler, alertmanager] = await Promise.all([startWranglerDev(secret), startRealAlertmanager()]);
  baseUrl = wrangler.baseUrl;
}, 90_000);

afterAll(async () => {
  await Promise.all([wrangler?.stop(), alertmanager?.stop()]);
});

async function send(path: string, credential: string, method: string, body: string, type: string) {
  const response = await fetch(`${baseUrl}/api/v1/boards/${board}/${path}`, {
    method,
    headers: { authorization: `Bearer ${credential}`, "content-type": type },
    body,
  });
  expect(response.status, await response.clone().text()).toBe(200);
  return (await response.json()) as { webhookSecret: string };
}

async function temperature(value: number) {
  const device = await mintToken(secret, { kind: "device", board, device: "sensor-1" });
  const response = await fetch(`${baseUrl}/api/v1/ingest`, {
    method: "POST",
    headers: { authorization: `Bearer ${device}`, "content-type": "application/json" },
    body: JSON.stringify({
      points: [{ metric: "temp_c", value, labels: { room: "lab" }, ts: Date.now() - 1000 }],
    }),
  });
  expect(response.status).toBe(202);
}

interface ListedAlert {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  generatorURL: string;
  fingerprint: string;
  status: { state: string };
}

/** Alertmanager's own list of its alerts named TooHot, polled until `done` holds (or 40 s pass). */
async function alertmanagerUntil(done: (alerts: ListedAlert[]) => boolean): Promise<ListedAlert[]> {
  const deadline = Date.now() + 40_000;
  for (;;) {
    const listed = (await (await fetch(`${alertmanager!.url}/api/v2/alerts`)).json()) as ListedAlert[];
    const ours = listed.filter((alert) => alert.labels.alertname === "TooHot");
    if (done(ours)) return ours;
    if (Date.now() > deadline)
      throw new Error(
        `alertmanager lists ${JSON.stringify(listed)}\n${wrangler!.output.slice(-30).join("\n")}`,
      );
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

describe("rules to a real Alertmanager", () => {
  it("sends a firing alert Alertmanager lists, groups by alertname, then resolves it", async () => {
    const admin = await mintToken(secret, { kind: "admin", board });
    await temperature(30);
    const hooks = await webhookReceiver();
    const alerting = JSON.stringify({ alertmanagers: [alertmanager!.url], webhooks: [{ url: hooks.url }] });
    const { webhookSecret } = await send("alerting", admin, "PUT", alerting, "application/json");
    const rules = [
      "groups:",
      "  - name: temperatures",
      "    interval: 10s",
      "    rules:",
      "      - alert: TooHot",
      "        expr: temp_c > 25",
      "        labels: { severity: page }",
      "        annotations: { summary: '{{ $labels.instance }} is {{ $value }} C' }",
    ].join("\n");
    await send("rules", admin, "PUT", rules, "application/yaml");

    const [firing] = await alertmanagerUntil((alerts) => alerts.length > 0);
    expect(firing!.labels).toEqual({
      alertname: "TooHot",
      instance: "sensor-1",
      room: "lab",
      severity: "page",
    });
    expect(firing!.annotations).toEqual({ summary: "sensor-1 is 30 C" });
    expect(firing!.status.state).toBe("active");
    expect(firing!.generatorURL).toBe(
      `${baseUrl}/api/v1/boards/${board}/prometheus/graph?g0.expr=temp_c+%3E+25&g0.tab=1`,
    );
    const groups = (await (await fetch(`${alertmanager!.url}/api/v2/alerts/groups`)).json()) as Array<{
      labels: Record<string, string>;
    }>;
    expect(groups.map((group) => group.labels)).toContainEqual({ alertname: "TooHot" });

    await temperature(20);
    await alertmanagerUntil((alerts) => alerts.length === 0);

    // The webhook, in Alertmanager's format: refused once (503), retried with the same delivery, then resolved.
    await expect.poll(() => hooks.received.length, { timeout: 30_000 }).toBeGreaterThanOrEqual(3);
    hooks.close();
    const [refused, retried, resolved] = hooks.received;
    expect(refused!.answered).toBe(503);
    expect(retried!.headers["edgepulse-delivery"]).toBe(refused!.headers["edgepulse-delivery"]);
    const labels = { alertname: "TooHot", instance: "sensor-1", room: "lab", severity: "page" };
    expect(JSON.parse(retried!.body)).toMatchObject({
      version: "4",
      status: "firing",
      groupKey: '{}:{alertname="TooHot"}',
      groupLabels: { alertname: "TooHot" },
      commonLabels: labels,
      alerts: [{ status: "firing", labels, fingerprint: firing!.fingerprint }],
    });
    const done = JSON.parse(resolved!.body);
    expect(done).toMatchObject({
      version: "4",
      status: "resolved",
      alerts: [{ status: "resolved", labels }],
    });
    expect(Date.parse(done.alerts[0].endsAt)).toBeGreaterThan(Date.parse(done.alerts[0].startsAt));
    for (const { headers, body } of hooks.received) {
      const [t, v1] = String(headers["edgepulse-signature"])
        .split(",")
        .map((part) => part.split("=")[1]);
      expect(v1).toBe(createHmac("sha256", webhookSecret).update(`${t}.${body}`).digest("hex"));
    }
  }, 120_000);
});
