/**
 * End to end: a dashboard saved through the API opens by its URL in Debian's Chromium, draws its panels from the
 * board's Prometheus API, keeps its variables and range in the URL, exports CSV, shares a read-only link, draws
 * alert transitions as annotations, and is edited (a panel's expression in the PromQL editor) and saved back.
 * `wrangler dev` runs with its own secret and storage.
 */
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { type Browser, chromium, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from "vitest";
import { mintToken } from "../../scripts/mint-token.ts";
import { runGroup } from "../../scripts/processes.ts";
import { viteBuild } from "../../scripts/tools.ts";
import type { Dashboard, Panel } from "../../worker/protocol/dashboards.ts";
import { startWranglerDev, type WranglerDev } from "./wrangler-board.ts";

const SCREENSHOTS = new URL("../../dashboard/screenshots/", import.meta.url).pathname;
const HOSTS = ["host-a", "host-b", "host-c"];
const CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-sync"];
const PANEL = (id: number) => `[data-testid="panel"][data-panel-id="${id}"]`;

const secret = randomBytes(32).toString("hex");
const board = `dash-${randomBytes(4).toString("hex")}`;
const output: string[] = [];
let baseUrl = "";
let admin = "";
let wrangler: WranglerDev | undefined;
let browser: Browser | undefined;

const api = (path: string, init: RequestInit = {}) =>
  fetch(`${baseUrl}/api/v1/boards/${board}/${path}`, {
    ...init,
    headers: { authorization: `Bearer ${admin}`, "content-type": "application/json" },
  });

/** Posts points as `device`, with a device token of its own. */
async function postPoints(device: string, points: object[]): Promise<void> {
  const token = await mintToken(secret, { kind: "device", board, device });
  const response = await fetch(`${baseUrl}/api/v1/ingest`, {
    method: "POST",
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    body: JSON.stringify({ points }),
  });
  if (response.status !== 202)
    throw new Error(`ingest ${device}: ${response.status} ${await response.text()}`);
}

/** Two node-exporter style hosts every 15 s over the last 30 minutes: what the imported Grafana export queries. */
async function postNodeExporter(now: number): Promise<void> {
  for (const [index, device] of ["node-1", "node-2"].entries()) {
    const points = [];
    const job = { job: "node" };
    for (let ts = now - 30 * 60_000, n = 0; ts <= now; ts += 15_000, n++) {
      points.push({ metric: "node_uname_info", value: 1, ts, labels: job });
      for (const [mode, perStep] of [
        ["idle", 10],
        ["user", 3 + index],
        ["system", 1],
      ] as const)
        points.push({
          metric: "node_cpu_seconds_total",
          value: n * perStep,
          ts,
          kind: "counter",
          labels: { ...job, cpu: "0", mode },
        });
      points.push({ metric: "node_memory_MemTotal_bytes", value: 8e9, ts, labels: job });
      points.push({ metric: "node_memory_MemAvailable_bytes", value: 5e9 - index * 1e9, ts, labels: job });
    }
    await postPoints(device, points);
  }
}

/** Each host's cpu_pct every 15 s over the last 30 minutes (host-a highest), as devices that post would. */
async function postHistory(now: number): Promise<void> {
  for (const [index, device] of HOSTS.entries()) {
    const points = [];
    for (let ts = now - 30 * 60_000; ts <= now; ts += 15_000)
      points.push({ metric: "cpu_pct", value: 80 - index * 25 + Math.sin(ts / 60_000) * 5, ts });
    await postPoints(device, points);
  }
}

/** A panel of the test dashboard over the hosts' cpu_pct. */
const cpuPanel = (
  [id, title, type]: [number, string, Panel["type"]],
  [x, y, w, h]: [number, number, number, number],
  [expr, legendFormat]: [string, string],
  more: Partial<Panel> = {},
): Panel => ({
  id,
  title,
  type,
  gridPos: { x, y, w, h },
  targets: [{ refId: "A", expr, legendFormat }],
  ...more,
});

const DASHBOARD: Omit<Dashboard, "version"> & { version: 0 } = {
  uid: "hosts",
  title: "Hosts",
  tags: ["e2e"],
  time: { from: "now-30m", to: "now" },
  refresh: "",
  variables: [
    { type: "query", name: "host", query: "label_values(cpu_pct, instance)", multi: true, includeAll: true },
  ],
  panels: [
    cpuPanel(
      [1, "CPU by host", "timeseries"],
      [0, 0, 16, 9],
      ['cpu_pct{instance=~"$host"}', "{{instance}}"],
      {
        unit: "percent",
      },
    ),
    cpuPanel([2, "Average CPU", "stat"], [16, 0, 8, 4], ['avg(cpu_pct{instance=~"$host"})', ""], {
      unit: "percent",
      decimals: 1,
      thresholds: [
        { value: null, color: "green" },
        { value: 50, color: "red" },
      ],
    }),
    cpuPanel([3, "Busiest", "gauge"], [16, 4, 8, 5], ['max(cpu_pct{instance=~"$host"})', ""], {
      unit: "percent",
      min: 0,
      max: 100,
    }),
    cpuPanel([4, "Per host", "bargauge"], [0, 9, 8, 6], ['cpu_pct{instance=~"$host"}', "{{instance}}"], {
      unit: "percent",
      max: 100,
    }),
    cpuPanel([5, "Table", "table"], [8, 9, 8, 6], ['cpu_pct{instance=~"$host"}', ""]),
    {
      id: 6,
      title: "Notes",
      type: "text",
      gridPos: { x: 16, y: 9, w: 8, h: 6 },
      targets: [],
      options: { mode: "markdown", content: "# Hosts\n\nCPU of every host, <b>as text</b>." },
    },
    cpuPanel([7, "Heatmap", "heatmap"], [0, 15, 24, 6], ['cpu_pct{instance=~"$host"}', "{{instance}}"]),
  ],
  annotations: [
    { name: "Alerts", enable: true, iconColor: "red" },
    {
      name: "host-a near its peak",
      enable: true,
      iconColor: "blue",
      expr: 'cpu_pct{instance="host-a"} > 84',
    },
  ],
  version: 0,
};

async function openDashboard(token: string, extra = ""): Promise<{ page: Page; errors: string[] }> {
  const page = await browser!.newPage({ viewport: { width: 1400, height: 900 } });
  const errors: string[] = [];
  page.on("pageerror", (error) => errors.push(error.message));
  await page.goto(`${baseUrl}/#board=${board}&token=${token}&dashboard=hosts${extra}`);
  await page.locator(`${PANEL(1)}[data-state="ready"]`).waitFor({ timeout: 20_000 });
  return { page, errors };
}

/** Waits until the page's URL fragment holds `text` (or no longer does). */
const hashHas = (page: Page, text: string, has = true) =>
  page.waitForFunction(`${has ? "" : "!"}location.hash.includes(${JSON.stringify(text)})`);

const attribute = (page: Page, selector: string, name: string) =>
  page.locator(selector).getAttribute(name).then(Number);

describe("saved dashboards in Chromium", () => {
  beforeAll(async () => {
    // Built afresh: the dashboard under test is this tree's, not whatever dist/ holds.
    await runGroup(viteBuild(), { output: (line) => output.push(line) });
    wrangler = await startWranglerDev(secret);
    baseUrl = wrangler.baseUrl;
    admin = await mintToken(secret, { kind: "admin", board });
    await postHistory(Date.now());
    // An alert that fires at once on host-a, so the time series panel has a transition to mark.
    const rule = await api("alerts", {
      method: "POST",
      body: JSON.stringify({ name: "busy", series: "host-a:cpu_pct", op: ">", threshold: 50, forMs: 0 }),
    });
    expect(rule.status).toBe(201);
    await postPoints("host-a", [{ metric: "cpu_pct", value: 90, ts: Date.now() }]);
    const saved = await api("dashboards/hosts", { method: "PUT", body: JSON.stringify(DASHBOARD) });
    expect(saved.status, await saved.clone().text()).toBe(201);
    browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: CHROMIUM_ARGS });
  });

  afterAll(async () => {
    await browser?.close();
    await wrangler?.stop();
  });

  it("draws every panel from the board's Prometheus API, with the variable's options and alert annotations", async () => {
    onTestFailed(() => console.error([...output, ...(wrangler?.output ?? [])].slice(-80).join("\n")));
    const { page, errors } = await openDashboard(admin);
    await page.locator('[data-testid="panel"][data-state="ready"]').nth(6).waitFor({ timeout: 20_000 });
    expect(await page.textContent('[data-testid="dashboard-title"]')).toBe("Hosts");
    // The time series: a line per host from query_range, and a legend row each with min/max/avg/last.
    expect(await attribute(page, PANEL(1), "data-series")).toBe(3);
    expect(await attribute(page, PANEL(1), "data-points")).toBeGreaterThan(3 * 50);
    expect(await page.locator(`${PANEL(1)} [data-testid="legend-row"]`).allTextContents()).toEqual(
      expect.arrayContaining([expect.stringMatching(/^host-a\d/)]),
    );
    // Drawn by the chart worker on an OffscreenCanvas: the page cannot read its pixels, a screenshot can.
    await page.locator(`${PANEL(1)} .dash-panel-body[data-plotted]`).waitFor();
    const pixels = await page.locator(`${PANEL(1)} canvas`).screenshot();
    const blank = await page.locator(`${PANEL(6)} .dash-panel-body`).screenshot();
    expect(pixels.length).toBeGreaterThan(4 * blank.length);
    // Stat, gauge, bar gauge and table from instant queries; the text panel's HTML stays text.
    const stat = await page.textContent(`${PANEL(2)} [data-testid="stat-value"]`);
    expect(stat).toMatch(/^\d+\.\d%$/);
    expect(await page.locator(`${PANEL(3)} [data-testid="gauge"]`).count()).toBe(1);
    expect(await page.locator(`${PANEL(4)} [data-testid="bargauge-row"]`).count()).toBe(3);
    expect(await page.locator(`${PANEL(5)} tr`).count()).toBe(4);
    expect(await page.textContent(`${PANEL(6)} p`)).toBe("CPU of every host, <b>as text</b>.");
    // The heatmap: a row per host (no le buckets), a cell per step.
    expect(await page.locator(`${PANEL(7)} .heatmap-rows span`).allTextContents()).toEqual([
      "host-c",
      "host-b",
      "host-a",
    ]);
    // The alert's transitions are marks on the time series panel.
    await page
      .locator(`${PANEL(1)} [data-testid="annotation"]`)
      .first()
      .waitFor({ timeout: 10_000 });
    // With them, each time host-a's peak expression turns true.
    const titles = await page
      .locator(`${PANEL(1)} [data-testid="annotation"]`)
      .evaluateAll((marks) => marks.map((mark) => mark.getAttribute("title")));
    expect(titles).toEqual(expect.arrayContaining([expect.stringMatching(/^busy · host-a:cpu_pct: /)]));
    expect(
      titles.filter((title) => title === 'host-a near its peak · cpu_pct{instance="host-a"}').length,
    ).toBeGreaterThanOrEqual(3);
    // The shared crosshair: hovering one time series panel shows the values at that time.
    const box = (await page.locator(`${PANEL(1)} .ts-overlay`).boundingBox())!;
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 3);
    await page.locator(`${PANEL(1)} .ts-tooltip:not([hidden])`).waitFor();
    expect(await page.textContent(`${PANEL(1)} .ts-tooltip`)).toMatch(/host-b: \d/);
    await page.screenshot({ path: `${SCREENSHOTS}dashboard.png` });
    expect(errors).toEqual([]);
    await page.close();
  });

  it("draws a Grafana export imported through the API, with its variables, units and expressions", async () => {
    await postNodeExporter(Date.now());
    const exported = readFileSync(new URL("../fixtures/grafana-node-board.json", import.meta.url), "utf8");
    const imported = await api("dashboards/import", { method: "POST", body: exported });
    expect(imported.status).toBe(201);
    const page = await browser!.newPage({ viewport: { width: 1400, height: 1000 } });
    const errors: string[] = [];
    page.on("pageerror", (error) => errors.push(error.message));
    await page.goto(`${baseUrl}/#board=${board}&token=${admin}&dashboard=hosts-overview&from=now-30m&to=now`);
    const panel = (title: string) => `[data-testid="panel"]:has(h3:text-is("${title}"))`;
    await page.locator(`${panel("CPU by mode")}[data-state="ready"]`).waitFor({ timeout: 20_000 });
    // $job from label_values(node_uname_info, job); $instance is saved as All, whose allValue .+ matches both hosts
    // (its regex wants host:port instances, which device names here are not, so it offers no single host).
    expect(await page.locator('[data-testid="variable-job"] select').inputValue()).toBe("node");
    expect(page.url()).toContain("var-job=node&var-instance=%24__all&var-interval=5m");
    // rate() over $__rate_interval, summed by mode over one CPU: user (3 + 4) / 15 s, system (1 + 1) / 15 s.
    expect(await attribute(page, panel("CPU by mode"), "data-series")).toBe(2);
    const legend = await page.locator(`${panel("CPU by mode")} [data-testid="legend-row"]`).allTextContents();
    // Named by its legendFormat {{mode}}, in its unit (percentunit); the last of min, max, avg and last.
    expect(legend.sort()).toEqual([
      expect.stringMatching(/^system.*13\.3%$/),
      expect.stringMatching(/^user.*46\.7%$/),
    ]);
    await page.locator(`${panel("RAM Used")}[data-state="ready"]`).waitFor();
    // A stat per host: 1 − 5/8 and 1 − 4/8 of memory, with the export's 0 decimals.
    expect(await page.locator(`${panel("RAM Used")} [data-testid="stat-value"]`).allTextContents()).toEqual([
      "38%node-1",
      "50%node-2",
    ]);
    await page.locator(`${panel("CPU Busy")}[data-state="ready"]`).waitFor();
    expect(await page.textContent(`${panel("CPU Busy")} .gauge-text`)).toMatch(/^\d+(\.\d+)?%$/);
    await page.locator(`${panel("Memory")}[data-state="ready"]`).waitFor();
    expect(await attribute(page, panel("Memory"), "data-series")).toBe(4);
    await page.screenshot({ path: `${SCREENSHOTS}dashboard-imported.png` });
    expect(errors).toEqual([]);
    await page.close();
  });

  it("lists the board's dashboards in the live view's menu, which opens one", async () => {
    const page = await browser!.newPage();
    await page.goto(`${baseUrl}/#board=${board}&token=${admin}`);
    await page.click('[data-testid="dashboards-menu"] summary');
    await page.click('[data-testid="dashboard-link"][data-uid="hosts"]');
    await page.locator(`${PANEL(1)}[data-state="ready"]`).waitFor({ timeout: 20_000 });
    expect(await page.textContent('[data-testid="dashboard-title"]')).toBe("Hosts");
    await page.close();
  });

  it("keeps a variable's selection and the range in the URL, and redraws for them", async () => {
    const { page, errors } = await openDashboard(admin);
    expect(page.url()).toContain("from=now-30m&to=now");
    await page.click('[data-testid="variable-host"] summary');
    await page.locator('[data-testid="variable-host"] input[value="host-b"]').check();
    await hashHas(page, "var-host=host-b");
    expect(new URL(page.url()).hash).not.toContain("var-host=%24__all");
    await page.locator(`${PANEL(1)}[data-series="1"]`).waitFor();
    expect(await page.locator(`${PANEL(1)} [data-testid="legend-row"]`).count()).toBe(1);
    await page.click('[data-testid="time-range"]');
    await page.click('[data-testid="time-now-15m"]');
    await hashHas(page, "from=now-15m");
    // A reload opens the same view.
    await page.reload();
    await page.locator(`${PANEL(1)}[data-state="ready"]`).waitFor();
    expect(await attribute(page, PANEL(1), "data-series")).toBe(1);
    expect(await page.textContent('[data-testid="time-range"]')).toBe("Last 15 minutes");
    // Back returns to the range before.
    await page.click('[data-testid="time-range"]');
    await page.click('[data-testid="time-now-1h"]');
    await page.click('[data-testid="time-back"]');
    await hashHas(page, "from=now-15m");
    // Earlier by half the range: an absolute range of the same length, in epoch ms.
    await page.click('[data-testid="time-earlier"]');
    await hashHas(page, "to=1");
    const shifted = new URLSearchParams(new URL(page.url()).hash.slice(1));
    expect(Number(shifted.get("to")) - Number(shifted.get("from"))).toBe(15 * 60_000);
    expect(Number(shifted.get("to"))).toBeLessThan(Date.now() - 7 * 60_000);
    expect(errors).toEqual([]);
    await page.close();
  });

  it("refreshes a range that ends before now with a query for the new steps only, keeping the history drawn", async () => {
    const page = await browser!.newPage({ viewport: { width: 1400, height: 900 } });
    const starts: number[] = [];
    page.on("request", (request) => {
      const url = new URL(request.url());
      if (
        url.pathname.endsWith("/api/v1/query_range") &&
        url.searchParams.get("query")?.startsWith("cpu_pct")
      )
        starts.push(Number(url.searchParams.get("start")) * 1000);
    });
    await page.goto(
      `${baseUrl}/#board=${board}&token=${admin}&dashboard=hosts&from=now-30m&to=now-1m&refresh=5s`,
    );
    await page.locator(`${PANEL(1)}[data-state="ready"]`).waitFor({ timeout: 20_000 });
    const points = await attribute(page, PANEL(1), "data-points");
    expect(await attribute(page, PANEL(1), "data-drawn")).toBe(1);
    await page.locator(`${PANEL(1)}:not([data-drawn="1"])`).waitFor({ timeout: 15_000 });
    // The first load asked for the whole half hour, each refresh from the last step drawn on (a range ending at
    // now is drawn by live subscriptions instead: see dashboard-live-panels-e2e).
    expect(starts[0]).toBeLessThan(Date.now() - 29 * 60_000);
    expect(starts.at(-1)).toBeGreaterThan(Date.now() - 90_000);
    // Still the half hour (a few steps left at its start, a few came at its end), not just the new steps.
    expect(await attribute(page, PANEL(1), "data-points")).toBeGreaterThan(points * 0.95);
    await page.close();
  });

  it("exports a panel as CSV and shows it as a table", async () => {
    const { page } = await openDashboard(admin);
    await page.hover(PANEL(1));
    const [download] = await Promise.all([
      page.waitForEvent("download"),
      page.click(`${PANEL(1)} [data-testid="panel-csv"]`),
    ]);
    const csv = readFileSync((await download.path())!, "utf8").split("\r\n");
    expect(csv[0]).toBe("Time,host-a,host-b,host-c");
    expect(csv[1]).toMatch(/^\d{4}-\d\d-\d\dT[\d:.]+Z,[\d.]+,[\d.]+,[\d.]+$/);
    expect(csv.length).toBeGreaterThan(50);
    await page.click(`${PANEL(1)} [data-testid="panel-table"]`);
    expect(await page.locator(`${PANEL(1)} [data-testid="data-table"] tr`).count()).toBeGreaterThan(50);
    await page.click(`${PANEL(1)} [data-testid="panel-fullscreen"]`);
    await hashHas(page, "viewPanel=1");
    expect(await page.locator('[data-testid="panel"]:visible').count()).toBe(1);
    await page.keyboard.press("Escape");
    await hashHas(page, "viewPanel", false);
    await page.close();
  });

  it("shares a link with a new read-only viewer token of the chosen lifetime", async () => {
    const { page } = await openDashboard(admin, "&var-host=host-c");
    await page.click('[data-testid="share"]');
    await page.selectOption('[data-testid="share-ttl"]', "3600");
    await page.click('[data-testid="share-create"]');
    await page.locator('[data-testid="share-link"]:visible').waitFor();
    const link = await page.locator('[data-testid="share-link"]').inputValue();
    await page.close();
    const fragment = new URLSearchParams(new URL(link).hash.slice(1));
    expect(fragment.get("var-host")).toBe("host-c");
    expect(fragment.get("from")).toBe("now-30m");
    const token = fragment.get("token")!;
    expect(token).not.toBe(admin);
    const claims = JSON.parse(Buffer.from(token.split(".")[1]!, "base64url").toString());
    expect(claims).toMatchObject({ kind: "viewer", board });
    expect(claims.exp - claims.iat).toBe(3600);
    const viewer = await browser!.newPage();
    await viewer.goto(link);
    await viewer.locator(`${PANEL(1)}[data-state="ready"]`).waitFor({ timeout: 20_000 });
    expect(await attribute(viewer, PANEL(1), "data-series")).toBe(1);
    expect(await viewer.locator('[data-testid="edit"]').isVisible()).toBe(false);
    // The viewer token reads, but may not write.
    const put = await fetch(`${baseUrl}/api/v1/boards/${board}/dashboards/hosts`, {
      method: "PUT",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      body: JSON.stringify({ ...DASHBOARD, version: 1 }),
    });
    expect(put.status).toBe(403);
    await viewer.close();
  });

  it("edits a panel's expression in the PromQL editor, with completion from the board, and saves it", async () => {
    const { page, errors } = await openDashboard(admin);
    await page.click('[data-testid="edit"]');
    await page.hover(PANEL(1));
    await page.click(`${PANEL(1)} [data-testid="panel-edit"]`);
    const editor = page.locator('[data-testid="panel-editor"] .cm-content').first();
    await editor.fill("max by (instance) (cpu_");
    await page.keyboard.type("p");
    // Completion offers the board's metric names; the linter marks an expression that is wrong.
    await page.locator(".cm-tooltip-autocomplete", { hasText: "cpu_pct" }).waitFor({ timeout: 10_000 });
    await editor.fill("rate(cpu_pct)");
    // (The editor lives in a shadow root; locators reach into it.) A range function needs a range vector.
    await page.locator(".cm-lint-marker-error").waitFor({ timeout: 10_000 });
    await editor.fill('max by (instance) (cpu_pct{instance=~"$host"} / 100)');
    await page.locator(".cm-lint-marker-error").waitFor({ state: "detached" });
    await page.locator('[data-testid="editor-unit"]').fill("percentunit");
    await page.screenshot({ path: `${SCREENSHOTS}dashboard-edit.png` });
    await page.click('[data-testid="editor-apply"]');
    await page.locator(`${PANEL(1)}[data-state="ready"]`).waitFor();
    await page.click('[data-testid="save"]');
    await page.locator('[data-testid="dashboard-notice"]', { hasText: "Saved as version 2" }).waitFor();
    const stored = (await (await api("dashboards/hosts")).json()) as Dashboard;
    expect(stored.version).toBe(2);
    expect(stored.panels[0]!.targets[0]!.expr).toBe('max by (instance) (cpu_pct{instance=~"$host"} / 100)');
    expect(stored.panels[0]!.unit).toBe("percentunit");
    expect(errors).toEqual([]);

    // Someone else saves in between: this page's next save is a conflict to resolve, not a silent overwrite.
    const theirs = await api("dashboards/hosts", {
      method: "PUT",
      body: JSON.stringify({ ...stored, title: "Theirs" }),
    });
    expect(theirs.status).toBe(200);
    await page.click('[data-testid="edit"]');
    await page.click('[data-testid="add-panel"]');
    await page.click('[data-testid="editor-cancel"]');
    await page.click('[data-testid="save"]');
    await page.locator('[data-testid="conflict"]').waitFor();
    expect(((await (await api("dashboards/hosts")).json()) as Dashboard).title).toBe("Theirs");
    await page.click('[data-testid="conflict-reload"]');
    await page.locator('[data-testid="dashboard-title"]', { hasText: "Theirs" }).waitFor();
    await page.close();
  });
  it("moves, resizes and removes panels in edit mode, and saves their places", async () => {
    const { page, errors } = await openDashboard(admin);
    await page.click('[data-testid="edit"]');
    const grid = (await page.locator('[data-testid="dashboard-grid"]').boundingBox())!;
    const column = (grid.width + 8) / 24;
    // Drag "Average CPU" (x 16, y 0) by its header to the left edge: "CPU by host" below it moves down.
    const header = (await page.locator(`${PANEL(2)} .dash-panel-header h3`).boundingBox())!;
    await page.mouse.move(header.x + 5, header.y + 5);
    await page.mouse.down();
    await page.mouse.move(header.x + 5 - 8 * column, header.y + 5, { steps: 4 });
    await page.mouse.move(header.x + 5 - 16 * column, header.y + 5, { steps: 4 });
    await page.mouse.up();
    // Resize "Table" (x 8, w 8, h 6) by its corner: four columns wider, two rows taller.
    const corner = (await page.locator(`${PANEL(5)} [data-testid="panel-resize"]`).boundingBox())!;
    await page.mouse.move(corner.x + 5, corner.y + 5);
    await page.mouse.down();
    await page.mouse.move(corner.x + 5 + 4 * column, corner.y + 5 + 2 * 38, { steps: 4 });
    await page.mouse.up();
    await page.click(`${PANEL(6)} [data-testid="panel-remove"]`);
    expect(await page.locator(PANEL(6)).count()).toBe(0);
    await page.click('[data-testid="save"]');
    await page.locator('[data-testid="dashboard-notice"]', { hasText: "Saved as version" }).waitFor();
    const stored = (await (await api("dashboards/hosts")).json()) as Dashboard;
    const place = Object.fromEntries(stored.panels.map((p) => [p.id, p.gridPos]));
    expect(place[2]).toEqual({ x: 0, y: 0, w: 8, h: 4 });
    expect(place[1]!.y).toBeGreaterThanOrEqual(4);
    expect(place[5]).toMatchObject({ x: 8, w: 12, h: 8 });
    expect(place[6]).toBeUndefined();
    expect(errors).toEqual([]);
    await page.close();
  });
});
