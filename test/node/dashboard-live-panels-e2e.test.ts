/**
 * End to end: a saved dashboard whose range ends at now draws its PromQL panels from live subscriptions on the
 * board's live socket (or, without WebSocket, from `…/prometheus/live` SSE streams), not by polling query_range:
 * a point posted after the page opened reaches the panels as the step holding it becomes final, an expression that
 * fails shows its error on its own panel only, and a new range replaces the subscriptions. In Debian's Chromium,
 * against `wrangler dev` with its own secret and storage.
 */
import { randomBytes } from "node:crypto";
import { type Browser, chromium, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from "vitest";
import { mintToken } from "../../scripts/mint-token.ts";
import { runGroup } from "../../scripts/processes.ts";
import { viteBuild } from "../../scripts/tools.ts";
import type { Dashboard, Panel } from "../../worker/protocol/dashboards.ts";
import { startWranglerDev, type WranglerDev } from "./wrangler-board.ts";

const CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-sync"];
const PANEL = (id: number) => `[data-testid="panel"][data-panel-id="${id}"]`;
/** A step is 15 s here (`$__interval` never goes below the scrape interval): a new one is final within it. */
const STEP_WAIT_MS = 40_000;

const secret = randomBytes(32).toString("hex");
const board = `live-dash-${randomBytes(4).toString("hex")}`;
const output: string[] = [];
let baseUrl = "";
let admin = "";
let wrangler: WranglerDev | undefined;
let browser: Browser | undefined;

async function postPoints(points: object[]): Promise<void> {
  const token = await mintToken(secret, { kind: "device", board, device: "sensor-1" });
  const response = await fetch(`${baseUrl}/api/v1/ingest`, {
    method: "POST",
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    body: JSON.stringify({ points }),
  });
  if (response.status !== 202) throw new Error(`ingest: ${response.status} ${await response.text()}`);
}

const panel = (id: number, type: Panel["type"], expr: string, x: number): Panel => ({
  id,
  title: `panel ${id}`,
  type,
  gridPos: { x, y: 0, w: 8, h: 8 },
  targets: [{ refId: "A", expr, legendFormat: "{{instance}}" }],
});

const DASHBOARD: Omit<Dashboard, "version"> & { version: 0 } = {
  uid: "live",
  title: "Live",
  tags: [],
  time: { from: "now-5m", to: "now" },
  refresh: "",
  variables: [{ type: "custom", name: "metric", query: "temp_c", multi: false, includeAll: false }],
  panels: [
    panel(1, "timeseries", "$metric", 0),
    panel(2, "stat", "max($metric)", 8),
    panel(3, "timeseries", "sum(temp_c", 16),
  ],
  annotations: [],
  version: 0,
};

/** What a page asked the board: query_range and query calls, live streams, and each socket message it sent. */
interface Traffic {
  polls: string[];
  streams: string[];
  sent: string[];
}

async function openDashboard(
  withoutWebSocket = false,
): Promise<{ page: Page; traffic: Traffic; errors: string[] }> {
  const page = await browser!.newPage({ viewport: { width: 1400, height: 900 } });
  const traffic: Traffic = { polls: [], streams: [], sent: [] };
  const errors: string[] = [];
  page.on("pageerror", (error) => errors.push(error.message));
  page.on("request", (request) => {
    const url = new URL(request.url());
    if (/\/api\/v1\/query(_range)?$/.test(url.pathname)) traffic.polls.push(url.search);
    if (url.pathname.endsWith("/prometheus/live")) traffic.streams.push(url.search);
  });
  page.on("websocket", (socket) =>
    socket.on("framesent", ({ payload }) => {
      if (typeof payload === "string" && payload !== "ping") traffic.sent.push(payload);
    }),
  );
  if (withoutWebSocket) await page.addInitScript("delete window.WebSocket");
  await page.goto(`${baseUrl}/#board=${board}&token=${admin}&dashboard=live`);
  await page.locator(`${PANEL(1)}[data-state="ready"]`).waitFor({ timeout: 20_000 });
  return { page, traffic, errors };
}

/** Waits until the element `selector` names holds `text`: a step's new value reached its panel. */
const waitForText = (page: Page, selector: string, text: string) =>
  page.locator(selector, { hasText: text }).waitFor({ timeout: STEP_WAIT_MS });

/** The legend's Max of panel 1's only line. */
const legendMax = (page: Page) =>
  page
    .locator(`${PANEL(1)} [data-testid="legend-row"] td`)
    .nth(2)
    .textContent();

describe("live dashboard panels in Chromium", () => {
  beforeAll(async () => {
    await runGroup(viteBuild(), { output: (line) => output.push(line) });
    wrangler = await startWranglerDev(secret);
    baseUrl = wrangler.baseUrl;
    admin = await mintToken(secret, { kind: "admin", board });
    const now = Math.floor(Date.now() / 5_000) * 5_000;
    const history = [];
    for (let ts = now - 5 * 60_000; ts <= now; ts += 5_000)
      history.push({ metric: "temp_c", value: 20 + ((ts / 5_000) % 5), ts });
    await postPoints(history);
    const saved = await fetch(`${baseUrl}/api/v1/boards/${board}/dashboards/live`, {
      method: "PUT",
      headers: { authorization: `Bearer ${admin}`, "content-type": "application/json" },
      body: JSON.stringify(DASHBOARD),
    });
    expect(saved.status, await saved.clone().text()).toBe(201);
    browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: CHROMIUM_ARGS });
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await wrangler?.stop();
  });

  it("draws new points from live subscriptions on the socket, never polling, with an error on its panel only", async () => {
    onTestFailed(() => console.error([...output, ...(wrangler?.output ?? [])].slice(-80).join("\n")));
    const { page, traffic, errors } = await openDashboard();
    // The history came with the subscription: five minutes at 15 s steps, the variable interpolated first.
    expect(await page.getAttribute(PANEL(1), "data-points").then(Number)).toBeGreaterThanOrEqual(19);
    const queries = traffic.sent
      .map((text) => JSON.parse(text))
      .filter((message) => message.type === "query");
    expect(queries.map((message) => message.expr).sort()).toEqual(["max(temp_c)", "sum(temp_c", "temp_c"]);
    expect(queries.every((message) => message.step === 15_000)).toBe(true);
    // The expression that does not parse: its panel says why, the others draw.
    await page.locator(`${PANEL(3)}[data-state="error"]`).waitFor({ timeout: 10_000 });
    expect(await page.textContent(`${PANEL(3)} .dash-panel-status`)).toMatch(/parse/i);
    await page.locator(`${PANEL(2)}[data-state="ready"]`).waitFor();
    expect(await legendMax(page)).toMatch(/^24/);

    // A point posted now reaches both live panels once its step is final.
    await postPoints([{ metric: "temp_c", value: 99, ts: Date.now() }]);
    await waitForText(page, `${PANEL(1)} [data-testid="legend-row"] td:nth-child(3)`, "99");
    await waitForText(page, `${PANEL(2)} [data-testid="stat-value"]`, "99");
    expect(await page.getAttribute(PANEL(1), "data-state")).toBe("ready");
    expect(await page.getAttribute(PANEL(3), "data-state")).toBe("error");
    // A longer range: each live panel's subscription replaced by one over it.
    await page.click('[data-testid="time-range"]');
    await page.click('[data-testid="time-now-15m"]');
    // Waits as long as the panels' other steps do: a page redrawing beside the whole suite takes over a second.
    await expect.poll(() => page.url(), { timeout: 10_000 }).toContain("from=now-15m");
    await expect
      .poll(() => traffic.sent.filter((text) => JSON.parse(text).type === "unquery").length, {
        timeout: 10_000,
      })
      .toBeGreaterThanOrEqual(2);
    await page.locator(`${PANEL(1)}[data-state="ready"]`).waitFor();
    expect(traffic.polls).toEqual([]);
    expect(traffic.streams).toEqual([]);
    expect(errors).toEqual([]);
    await page.close();
  }, 120_000);

  it("falls back to live SSE streams where the page has no WebSocket", async () => {
    const { page, traffic, errors } = await openDashboard(true);
    expect(await page.getAttribute(PANEL(1), "data-points").then(Number)).toBeGreaterThanOrEqual(19);
    // One stream for the subscriptions of one step; the variable interpolated as for the socket.
    expect(traffic.streams.length).toBeGreaterThanOrEqual(1);
    const last = new URLSearchParams(traffic.streams.at(-1));
    expect(last.getAll("query").sort()).toEqual(["max(temp_c)", "sum(temp_c", "temp_c"]);
    expect(last.get("step")).toBe("15");
    await page.locator(`${PANEL(3)}[data-state="error"]`).waitFor({ timeout: 10_000 });
    await postPoints([{ metric: "temp_c", value: 77, ts: Date.now() }]);
    await waitForText(page, `${PANEL(2)} [data-testid="stat-value"]`, "77");
    expect(traffic.polls).toEqual([]);
    expect(errors).toEqual([]);
    await page.close();
  }, 120_000);
});
