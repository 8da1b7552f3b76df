/**
 * One rule file in Debian's real Prometheus and on a board (under `wrangler dev`), the same samples remote-written
 * into both: promtool accepts the file, and both give the same alerts (labels, annotations, state, value) and the
 * same recorded series. Both place a group in its interval by a hash of its file and name (the files' names differ).
 */
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mintToken } from "../../scripts/mint-token.ts";
import { type RealPrometheus, remoteWrite, startRealPrometheus } from "../../scripts/real-prometheus.ts";
import { remoteWriteBody, type WrittenSeries } from "../../scripts/remote-write-body.ts";
import { groupOffsetMs } from "../../worker/rules/group-offset.ts";
import { startWranglerDev, type WranglerDev } from "./wrangler-board.ts";

const run = promisify(execFile);
const secret = randomBytes(32).toString("hex");
const stateDir = mkdtempSync(join(tmpdir(), "edgepulse-rules-prom-"));
const board = `rules-${randomBytes(4).toString("hex")}`;
let wrangler: WranglerDev | undefined;
let prometheus: RealPrometheus | undefined;
let boardUrl = "";
let viewer = "";
let admin = "";

const RULES = `groups:
  - name: compare
    interval: 10s
    rules:
      - alert: HighErrorRate
        expr: sum by (job) (http_errors_total) / sum by (job) (http_requests_total) > 0.05
        labels:
          severity: page
          team: "{{ $labels.job }}-oncall"
        annotations:
          summary: "{{ $labels.job }} fails {{ humanizePercentage $value }} of requests"
          raw: "{{ $value }}"
      - alert: Hot
        expr: temp_c > 25
        for: 1h
        annotations:
          description: "{{ $labels.instance }} at {{ humanize $value }} ({{ printf \\"%.1f\\" $value }})"
      - alert: Cold
        expr: temp_c < 25
      - record: job:http_requests:sum
        expr: sum by (job) (http_requests_total)
`;

function samples(): WrittenSeries[] {
  const now = Date.now();
  const at = (value: number): Array<[number, number]> => [
    [value, now - 20_000],
    [value, now - 5_000],
  ];
  return [
    { labels: { __name__: "http_requests_total", job: "api", instance: "a" }, samples: at(1000) },
    { labels: { __name__: "http_requests_total", job: "web", instance: "b" }, samples: at(2000) },
    { labels: { __name__: "http_errors_total", job: "api", instance: "a" }, samples: at(100) },
    { labels: { __name__: "http_errors_total", job: "web", instance: "b" }, samples: at(20) },
    { labels: { __name__: "temp_c", instance: "sensor-1" }, samples: at(30.25) },
    { labels: { __name__: "temp_c", instance: "sensor-2" }, samples: at(1234567) },
    { labels: { __name__: "temp_c", instance: "sensor-3" }, samples: at(20) },
  ];
}

beforeAll(async () => {
  [wrangler, prometheus] = await Promise.all([
    startWranglerDev(secret),
    startRealPrometheus({ rules: RULES }),
  ]);
  const baseUrl = wrangler.baseUrl;
  boardUrl = `${baseUrl}/api/v1/boards/${board}`;
  viewer = await mintToken(secret, { kind: "viewer", board });
  admin = await mintToken(secret, { kind: "admin", board });
  const gateway = await mintToken(secret, { kind: "gateway", board, gateway: "prometheus" });
  const body = remoteWriteBody(samples());
  await remoteWrite(`${prometheus.url}/api/v1/write`, body);
  await remoteWrite(`${baseUrl}/api/v1/write`, body, gateway);
  const put = await fetch(`${boardUrl}/rules`, {
    method: "PUT",
    headers: { authorization: `Bearer ${admin}`, "content-type": "application/yaml" },
    body: RULES,
  });
  expect(put.status, await put.text()).toBe(200);
}, 90_000);

afterAll(async () => {
  await Promise.all([wrangler?.stop(), prometheus?.stop()]);
  rmSync(stateDir, { recursive: true, force: true });
});

interface Alert {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  state: string;
  value: string;
}

const key = (alert: Alert) => JSON.stringify(Object.entries(alert.labels).sort());

/** A Prometheus API answer's data from `base` (the board's with its viewer token). */
async function data(base: string, path: string) {
  const headers: Record<string, string> =
    base === prometheus!.url ? {} : { authorization: `Bearer ${viewer}` };
  // biome-ignore lint/suspicious/noExplicitAny: the test reads both servers' JSON as it comes.
  const body = (await (await fetch(`${base}/api/v1/${path}`, { headers })).json()) as { data: any };
  return body.data;
}

/** The alerts of both, once both have evaluated the group (polled up to 40 s), without their activeAt. */
async function bothAlerts(): Promise<[Alert[], Alert[]]> {
  const deadline = Date.now() + 40_000;
  for (;;) {
    const answers = await Promise.all(
      [prometheus!.url, `${boardUrl}/prometheus`].map((b) => data(b, "alerts")),
    );
    const [theirs, ours] = answers.map((d: { alerts: Alert[] }) =>
      d.alerts
        .map(({ labels, annotations, state, value }) => ({ labels, annotations, state, value }))
        .sort((a, b) => (key(a) < key(b) ? -1 : 1)),
    ) as [Alert[], Alert[]];
    if ((theirs.length > 0 && ours.length > 0) || Date.now() > deadline) return [theirs, ours];
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

describe("a rule file on a board and in Prometheus", () => {
  it("is accepted by promtool check rules", async () => {
    const file = join(stateDir, "rules.yml");
    writeFileSync(file, RULES);
    const { stdout } = await run("promtool", ["check", "rules", file]);
    expect(stdout).toMatch(/SUCCESS: 4 rules found/);
  });

  it("gives the same alerts: labels, templated annotations, pending and firing, values", async () => {
    const [theirs, ours] = await bothAlerts();
    expect(theirs.map((a) => a.labels.alertname)).toEqual(["Cold", "HighErrorRate", "Hot", "Hot"]);
    expect(ours).toEqual(theirs);
  }, 60_000);

  it("evaluates the group at the offset in its interval that Prometheus's hash of its file and name gives", async () => {
    await bothAlerts();
    for (const base of [prometheus!.url, `${boardUrl}/prometheus`]) {
      const group = (await data(base, "rules")).groups[0];
      // An alert's activeAt is the evaluation's time (Prometheus's lastEvaluation is when the work started).
      const activeAt: string[] = group.rules.flatMap((rule: { alerts?: Array<{ activeAt: string }> }) =>
        (rule.alerts ?? []).map((alert) => alert.activeAt),
      );
      expect(activeAt.length).toBeGreaterThan(0);
      for (const at of activeAt)
        expect(Date.parse(at) % 10_000, group.file).toBe(groupOffsetMs(group.file, "compare", 10_000));
    }
  }, 60_000);

  it("records the same series", async () => {
    // Not rounded down: the first evaluation may be under a second old, and a query before it would see nothing.
    const at = Date.now() / 1000;
    const [theirs, ours] = await Promise.all(
      [prometheus!.url, `${boardUrl}/prometheus`].map((b) =>
        data(b, `query?query=job:http_requests:sum&time=${at}`),
      ),
    );
    expect(theirs.result.length).toBe(2);
    expect(ours.result).toEqual(theirs.result);
  });

  it("refuses what promtool refuses, with the group and rule named", async () => {
    const bad = "groups:\n  - name: g\n    rules:\n      - record: x\n        expr: up\n        for: 1m\n";
    const file = join(stateDir, "bad.yml");
    writeFileSync(file, bad);
    await expect(run("promtool", ["check", "rules", file])).rejects.toMatchObject({
      stderr: expect.stringMatching(/invalid field 'for' in recording rule/),
    });
    const put = await fetch(`${boardUrl}/rules`, {
      method: "PUT",
      headers: { authorization: `Bearer ${admin}`, "content-type": "application/yaml" },
      body: bad,
    });
    expect(put.status).toBe(400);
    expect(((await put.json()) as { error: { message: string } }).error.message).toMatch(
      /group "g", rule 1, record "x": invalid field 'for' in recording rule/,
    );
  });
});
