/**
 * End to end: the built dashboard, served by `wrangler dev` with its own secret and storage, shows the points
 * of simulated devices in a real (Debian) Chromium, over each transport of the fallback chain, with history for
 * the selected range. Nothing here touches the developer's .dev.vars or state.
 */
import { createHmac, randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Browser, chromium, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from "vitest";
import { mintToken } from "../../scripts/mint-token.ts";
import { findFreePorts, waitForHttp } from "../../scripts/net.ts";
import { type GroupProcess, runGroup, startGroup } from "../../scripts/processes.ts";
import { initialSignals, METRIC_META, nextSignals, readings } from "../../scripts/signals.ts";
import { type Simulation, startSimulation } from "../../scripts/simulation.ts";
import { DEV_HOST, viteBuild, wranglerDev } from "../../scripts/tools.ts";
import { SUBPROTOCOL, TOKEN_SUBPROTOCOL_PREFIX } from "../../worker/protocol/index.ts";
import { remoteWriteBody, STALE } from "../non-finite-samples.ts";
import { webhookReceiver } from "./webhook-receiver.ts";

const SCREENSHOT_PATH = "/tmp/edgepulse-e2e.png";
const RANGE_SCREENSHOT_PATH = "/tmp/edgepulse-e2e-24h.png";
const REFUSED_SCREENSHOT_PATH = "/tmp/edgepulse-e2e-refused.png";
const DEVICES_SCREENSHOT_PATH = "/tmp/edgepulse-e2e-devices.png";
const PHONE_SCREENSHOT_PATH = "/tmp/edgepulse-e2e-phone.png";
const ALERT_SCREENSHOT_PATH = "/tmp/edgepulse-e2e-alert.png";
const PANELS_SCREENSHOT_PATH = "/tmp/edgepulse-e2e-panels.png";
const CONNECTION_STATE = '[data-testid="connection-state"]';
const TRANSPORT = '[data-testid="transport"]';
const HISTORY = '[data-testid="history"]';
const SERIES_CARD = '[data-testid="series-card"]';
const DEVICES = 2;
const METRICS = ["cpu_pct", "humidity_pct", "requests_total", "temp_c"];
const SERIES = ["sensor-1", "sensor-2"].flatMap((device) => METRICS.map((metric) => `${device}:${metric}`));
/** Backfilled history: a reading every 30 s from two hours to ten minutes ago, outside the live 5 minutes. */
const BACKFILL = { fromMs: 2 * 3_600_000, toMs: 10 * 60_000, everyMs: 30_000 };
const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--no-first-run",
];

/** The last lines the children wrote, shown when something fails. */
const recentOutput: string[] = [];
function record(line: string): void {
  recentOutput.push(line);
  if (recentOutput.length > 200) recentOutput.shift();
}

const secret = randomBytes(32).toString("hex");
const board = `e2e-${randomBytes(4).toString("hex")}`;
const stateDir = mkdtempSync(join(tmpdir(), "edgepulse-e2e-"));
let baseUrl = "";
let sessionStart = 0;
let wrangler: GroupProcess | undefined;
let simulation: Simulation | undefined;
let browser: Browser | undefined;
/** Dashboards left streaming in the live range, by transport, for the exactly-once check at the end. */
const streaming = new Map<string, Page>();

/** Posts each simulated device's readings of the past, as devices that were offline would upload them. */
async function backfill(now: number): Promise<void> {
  for (let d = 1; d <= DEVICES; d++) {
    const device = `sensor-${d}`;
    const token = await mintToken(secret, { kind: "device", board, device });
    let signals = initialSignals(Math.random);
    const points: Array<{ metric: string; value: number; ts: number }> = [];
    for (let ts = now - BACKFILL.fromMs; ts <= now - BACKFILL.toMs; ts += BACKFILL.everyMs) {
      signals = nextSignals(signals, Math.random);
      for (const [metric, value] of Object.entries(readings(signals)))
        points.push({ metric, value, ts, ...METRIC_META[metric] });
    }
    const response = await fetch(`${baseUrl}/api/v1/ingest`, {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      body: JSON.stringify({ points }),
    });
    if (response.status !== 202)
      throw new Error(`backfill of ${device}: ${response.status} ${await response.text()}`);
  }
}

/** A card attribute for every series shown. */
async function cardData(page: Page, attribute: string): Promise<Record<string, number>> {
  return page.$$eval(
    SERIES_CARD,
    (cards, name) =>
      Object.fromEntries(
        cards.map((card) => [card.getAttribute("data-series"), Number(card.getAttribute(name))]),
      ),
    `data-${attribute}`,
  );
}

/** What the page's browser lacks: globals removed, or WebSockets that never get through (as behind a proxy). */
interface BrowserPatch {
  remove: string[];
  blockWebSockets: boolean;
}

/** Opens the dashboard in a patched browser, and waits until it streams with every card shown. */
async function openDashboard(
  patch: BrowserPatch = { remove: [], blockWebSockets: false },
): Promise<{ page: Page; errors: string[] }> {
  const page = await browser!.newPage({ viewport: { width: 1280, height: 800 } });
  const errors: string[] = [];
  page.on("pageerror", (error) => errors.push(error.message));
  await page.addInitScript(({ remove, blockWebSockets }) => {
    for (const name of remove) Reflect.deleteProperty(globalThis, name);
    if (blockWebSockets) {
      const Native = globalThis.WebSocket;
      // Node's WebSocket type stands in for the browser's here; only the constructor call matters.
      (globalThis as { WebSocket: unknown }).WebSocket = class extends Native {
        constructor(_url: string | URL, protocols?: string | string[]) {
          // As behind a proxy that refuses upgrades: the page's own origin answers the handshake with a page, not
          // 101, so the socket closes before any hello (another origin would break the page's CSP instead).
          const page = (globalThis as unknown as { location: { href: string } }).location.href;
          super(new URL("/no-websockets-here", page.replace(/^http/, "ws")).href, protocols);
        }
      };
    }
  }, patch);
  const viewerToken = await mintToken(secret, { kind: "viewer", board });
  await page.goto(`${baseUrl}/#board=${board}&token=${viewerToken}`);
  await page.locator(CONNECTION_STATE, { hasText: /^OPEN$/ }).waitFor({ timeout: 15_000 });
  await page
    .locator(SERIES_CARD)
    .nth(SERIES.length - 1)
    .waitFor({ timeout: 15_000 });
  await page.locator(`${HISTORY}[data-state="ready"]`).waitFor({ timeout: 15_000 });
  return { page, errors };
}

/** Posts one reading of a device of its own. */
/** The dashboard opened with `token`, connected, its Alerts panel open; page errors collected. */
async function openAlertsPanel(token: string): Promise<{ page: Page; errors: string[] }> {
  const page = await browser!.newPage({ viewport: { width: 1280, height: 800 } });
  const errors: string[] = [];
  page.on("pageerror", (error) => errors.push(error.message));
  await page.goto(`${baseUrl}/#board=${board}&token=${token}`);
  await page.locator(CONNECTION_STATE, { hasText: /^OPEN$/ }).waitFor({ timeout: 15_000 });
  await page.locator('[data-testid="alerts"] summary').click();
  return { page, errors };
}

async function postReading(device: string, metric: string, value: number): Promise<void> {
  const token = await mintToken(secret, { kind: "device", board, device });
  const response = await fetch(`${baseUrl}/api/v1/ingest`, {
    method: "POST",
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    body: JSON.stringify({ metrics: { [metric]: value } }),
  });
  expect(response.status).toBe(202);
}

describe("dashboard end to end", () => {
  beforeAll(async () => {
    try {
      await runGroup(viteBuild(), { output: record });
      // Its own inspector port too, so it runs beside a developer's `npm run dev`.
      const [port, inspectorPort] = (await findFreePorts(DEV_HOST, 2)) as [number, number];
      baseUrl = `http://${DEV_HOST}:${port}`;
      wrangler = startGroup(
        wranglerDev(port, [
          "--inspector-port",
          String(inspectorPort),
          "--persist-to",
          stateDir,
          "--var",
          `EDGEPULSE_SECRET:${secret}`,
          // A device that stops posting goes offline within seconds, so the test can watch it happen.
          "--var",
          "PRESENCE_TIMEOUT_MS:3000",
        ]),
        { output: record },
      );
      await waitForHttp(`${baseUrl}/`, 60_000, wrangler.exited);
      sessionStart = Date.now();
      await backfill(sessionStart);
      simulation = await startSimulation({
        url: baseUrl,
        board,
        devices: DEVICES,
        intervalMs: 250,
        secret,
        log: record,
      });
      browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: CHROMIUM_ARGS });
    } catch (error) {
      throw new Error(`${(error as Error).message}\n--- recent output ---\n${recentOutput.join("\n")}`);
    }
  });

  afterAll(async () => {
    await browser?.close();
    await simulation?.stop();
    await wrangler?.stop();
    rmSync(stateDir, { recursive: true, force: true });
  });

  it.each([
    { transport: "websocket", lacking: "nothing", patch: { remove: [], blockWebSockets: false } },
    { transport: "sse", lacking: "WebSocket", patch: { remove: ["WebSocket"], blockWebSockets: false } },
    { transport: "sse", lacking: "working WebSockets", patch: { remove: [], blockWebSockets: true } },
    {
      transport: "poll",
      lacking: "WebSocket and EventSource",
      patch: { remove: ["WebSocket", "EventSource"], blockWebSockets: false },
    },
  ])(
    "streams over $transport when the browser lacks $lacking, adding points as devices post",
    async ({ transport, lacking, patch }) => {
      onTestFailed(() => console.error(`--- recent output ---\n${recentOutput.join("\n")}`));
      const { page, errors } = await openDashboard(patch);
      streaming.set(`${transport} (lacking ${lacking})`, page);

      const before = await cardData(page, "points");
      await page.waitForTimeout(3_000);
      const after = await cardData(page, "points");
      if (transport === "websocket") await page.screenshot({ path: SCREENSHOT_PATH });

      expect(await page.textContent(TRANSPORT)).toBe(transport);
      expect(Object.keys(after).sort()).toEqual(SERIES);
      // 3 s at 4 posts/s fill 6 buckets of 500 ms per series; allow for a slow machine.
      for (const [series, count] of Object.entries(after)) {
        expect(count - (before[series] ?? 0), series).toBeGreaterThanOrEqual(3);
      }
      expect(await page.textContent(CONNECTION_STATE)).toBe("OPEN");
      expect(errors).toEqual([]);
    },
  );

  it("serves the dashboard with a CSP that allows no inline script, framing or other origins", async () => {
    const response = await fetch(`${baseUrl}/`);
    const csp = response.headers.get("content-security-policy") ?? "";
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toContain("unsafe-inline");
    expect(response.headers.get("x-frame-options")).toBe("DENY");
    expect(response.headers.get("x-content-type-options")).toBe("nosniff");
    expect(response.headers.get("referrer-policy")).toBe("no-referrer");
  });

  it("answers the browser's permessage-deflate offer with no extension", async () => {
    const page = await browser!.newPage();
    await page.goto(`${baseUrl}/`);
    const token = await mintToken(secret, { kind: "viewer", board });
    const url = `${baseUrl.replace(/^http/, "ws")}/api/v1/boards/${board}/live`;
    const answer = await page.evaluate(
      ({ url, protocols }) =>
        new Promise<{ extensions: string; protocol: string }>((resolve, reject) => {
          const socket = new WebSocket(url, protocols);
          socket.onclose = ({ code }) => reject(new Error(`closed ${code} before opening`));
          socket.onopen = () => {
            socket.onclose = null;
            resolve({ extensions: socket.extensions, protocol: socket.protocol });
            socket.close();
          };
        }),
      { url, protocols: [SUBPROTOCOL, `${TOKEN_SUBPROTOCOL_PREFIX}${token}`] },
    );
    await page.close();
    expect(answer).toEqual({ extensions: "", protocol: SUBPROTOCOL });
  });

  it("lists devices with their state, and marks one that stopped posting offline in the list and on its cards", async () => {
    const { page, errors } = await openDashboard();
    const device = (name: string, online: boolean) =>
      page.locator(`[data-testid="device"][data-device="${name}"][data-online="${online}"]`);
    await device("sensor-1", true).waitFor({ timeout: 15_000 });
    const lonely = await mintToken(secret, { kind: "device", board, device: "lonely" });
    const posted = await fetch(`${baseUrl}/api/v1/ingest`, {
      method: "POST",
      headers: { authorization: `Bearer ${lonely}`, "content-type": "application/json" },
      body: JSON.stringify({ metrics: { battery: 97 } }),
    });
    expect(posted.status).toBe(202);
    await device("lonely", true).waitFor({ timeout: 15_000 });
    await device("lonely", false).waitFor({ timeout: 30_000 });
    await page
      .locator(`${SERIES_CARD}[data-series^="lonely:"][data-offline="true"]`)
      .waitFor({ timeout: 5_000 });
    expect(await page.locator('[data-testid="devices-summary"]').textContent()).toMatch(
      /3 devices, 2 online/,
    );
    await page
      .locator('[data-testid="device"][data-device="sensor-1"] .device-seen')
      .filter({ hasText: /seen/ })
      .waitFor();
    await page.screenshot({ path: DEVICES_SCREENSHOT_PATH });
    expect(errors).toEqual([]);
    await page.close();
  });

  it("keeps the range in the URL, and stays usable on a phone (390 × 844)", async () => {
    const page = await browser!.newPage({
      viewport: { width: 390, height: 844 },
      isMobile: true,
      hasTouch: true,
    });
    const viewerToken = await mintToken(secret, { kind: "viewer", board });
    await page.goto(`${baseUrl}/#board=${board}&token=${viewerToken}&range=24h`);
    await page.locator(HISTORY, { hasText: "2 min buckets" }).waitFor({ timeout: 15_000 });
    expect(await page.getAttribute('[data-testid="range-24h"]', "aria-pressed")).toBe("true");
    // Every range button is a real target, and nothing is wider than the screen.
    for (const id of ["5m", "1h", "24h", "7d"]) {
      const box = await page.locator(`[data-testid="range-${id}"]`).boundingBox();
      expect(box!.width, id).toBeGreaterThanOrEqual(40);
      expect(box!.height, id).toBeGreaterThanOrEqual(28);
    }
    expect(await page.evaluate("document.documentElement.scrollWidth")).toBeLessThanOrEqual(390);
    await page.locator('[data-testid="range-1h"]').tap();
    await page.locator(HISTORY, { hasText: "6 s buckets" }).waitFor({ timeout: 10_000 });
    expect(new URL(page.url()).hash).toContain("range=1h");
    await page.screenshot({ path: PHONE_SCREENSHOT_PATH });
    await page.close();
  });

  it("stops retrying and says what to do when the link's token has expired, and retries on demand", async () => {
    const page = await browser!.newPage({ viewport: { width: 1280, height: 800 } });
    const expired = await mintToken(
      secret,
      { kind: "viewer", board, ttlSeconds: 60 },
      Date.now() - 3_600_000,
    );
    await page.goto(`${baseUrl}/#board=${board}&token=${expired}`);
    const notice = page.locator('[data-testid="notice"]');
    await notice.filter({ hasText: /expired/ }).waitFor({ timeout: 15_000 });
    expect(await notice.textContent()).toContain("npm run token -- viewer");
    await page.screenshot({ path: REFUSED_SCREENSHOT_PATH });
    // Stopped: no reconnect attempts while the notice shows, and a button to try again.
    const state = page.locator(CONNECTION_STATE);
    expect(await state.textContent()).toBe("CLOSED");
    await page.waitForTimeout(3000);
    expect(await state.textContent()).toBe("CLOSED");
    const retry = page.locator('[data-testid="retry-now"]');
    expect(await retry.isVisible()).toBe(true);
    await retry.click();
    await notice.filter({ hasText: /expired/ }).waitFor({ timeout: 15_000 });
    await page.close();
  });

  it("loads history older than the session on switching to 1 h, and draws min/max bands", async () => {
    onTestFailed(() => console.error(`--- recent output ---\n${recentOutput.join("\n")}`));
    const { page, errors } = await openDashboard();
    // Cards redraw at the next animation frame: poll the oldest bucket each card shows (of the backfilled devices;
    // the devices test adds one without a past).
    const starts = async () =>
      Object.entries(await cardData(page, "from"))
        .filter(([series]) => series.startsWith("sensor-"))
        .map(([, from]) => from);
    await expect
      .poll(async () => Math.min(...(await starts())))
      .toBeGreaterThan(sessionStart - BACKFILL.toMs);

    await page.click('[data-testid="range-1h"]');
    await page.locator(HISTORY, { hasText: "6 s buckets" }).waitFor({ timeout: 10_000 });
    await expect.poll(async () => Math.max(...(await starts()))).toBeLessThan(sessionStart - 50 * 60_000);
    // Counters draw their rate, without a band; every other series has one.
    const counters = SERIES.filter((series) => series.endsWith("_total"));
    expect(await page.locator(`${SERIES_CARD}[data-band="true"][data-series^="sensor-"]`).count()).toBe(
      SERIES.length - counters.length,
    );
    expect(await page.locator(`${SERIES_CARD}[data-rate="true"]`).count()).toBe(counters.length);

    await page.click('[data-testid="range-24h"]');
    await page.locator(HISTORY, { hasText: "2 min buckets" }).waitFor({ timeout: 10_000 });
    await expect
      .poll(async () => Math.max(...(await starts())))
      .toBeLessThan(sessionStart - BACKFILL.fromMs + 2 * 60_000);
    await page.screenshot({ path: RANGE_SCREENSHOT_PATH });
    expect(await page.getAttribute('[data-testid="range-24h"]', "aria-pressed")).toBe("true");
    expect(errors).toEqual([]);
  });

  it("zooms every card by dragging across a chart, keeps the zoom in the URL, and goes back to live; marks a silent series stale", async () => {
    const { page, errors } = await openDashboard();
    // The devices test's "lonely" device posted once, long enough ago: its card is stale beside live ones.
    await page
      .locator(`${SERIES_CARD}[data-series^="lonely:"][data-stale="true"]`)
      .waitFor({ timeout: 20_000 });
    expect(
      await page.locator(`${SERIES_CARD}[data-series="sensor-1:temp_c"]`).getAttribute("data-stale"),
    ).toBe("false");
    const canvas = page.locator(`${SERIES_CARD}[data-series="sensor-1:temp_c"] canvas`);
    const box = (await canvas.boundingBox())!;
    await page.mouse.move(box.x + box.width * 0.5, box.y + box.height / 2);
    await page.mouse.down();
    await page.mouse.move(box.x + box.width * 0.8, box.y + box.height / 2, { steps: 5 });
    await page.mouse.up();
    const backToLive = page.locator('[data-testid="back-to-live"]');
    await backToLive.waitFor({ state: "visible", timeout: 5_000 });
    expect(await page.getAttribute('[data-testid="pause"]', "aria-pressed")).toBe("true");
    const zoom = new URLSearchParams(new URL(page.url()).hash.slice(1)).get("zoom");
    const [from, to] = zoom!.split("-").map(Number);
    expect(to! - from!).toBeGreaterThan(0);
    expect(to! - from!).toBeLessThan(5 * 60_000);
    await page.click('[data-testid="pan-back"]');
    const panned = new URLSearchParams(new URL(page.url()).hash.slice(1)).get("zoom")!.split("-").map(Number);
    expect(panned[0]).toBeLessThan(from!);
    await page.keyboard.press("Escape");
    await backToLive.waitFor({ state: "hidden", timeout: 5_000 });
    // By metric: a panel per metric with a line (and a legend entry) per device, kept in the URL.
    await page.click('[data-testid="by-metric"]');
    const panel = page.locator('[data-testid="metric-panel"][data-metric="temp_c"]');
    await panel.waitFor({ state: "visible", timeout: 5_000 });
    expect(await panel.getAttribute("data-lines")).toBe("2");
    // Drawn as a dashboard's time series panel of `{__name__="temp_c"}`: its legend has a row per device.
    await panel.locator(".dash-panel-body[data-plotted]").waitFor({ timeout: 5_000 });
    expect(await panel.locator('[data-testid="legend-row"]').count()).toBe(2);
    expect(await page.locator(SERIES_CARD).first().isVisible()).toBe(false);
    expect(new URL(page.url()).hash).toContain("layout=metrics");
    const panelBox = (await panel.locator("canvas").boundingBox())!;
    await page.mouse.move(panelBox.x + panelBox.width * 0.7, panelBox.y + panelBox.height * 0.4);
    await page.screenshot({ path: PANELS_SCREENSHOT_PATH });
    await page.click('[data-testid="by-metric"]');
    await page.locator(SERIES_CARD).first().waitFor({ state: "visible", timeout: 5_000 });
    // Focus on one series (kept in the URL), then Esc; filter cards and devices by device (kept in the URL too).
    const temp = page.locator(`${SERIES_CARD}[data-series="sensor-1:temp_c"]`);
    await temp.locator('[data-testid="card-focus"]').click();
    await expect.poll(() => page.locator(`${SERIES_CARD}:visible`).count()).toBe(1);
    expect(new URLSearchParams(new URL(page.url()).hash.slice(1)).get("focus")).toBe("sensor-1:temp_c");
    await page.keyboard.press("Escape");
    await expect.poll(() => page.locator(`${SERIES_CARD}:visible`).count()).toBeGreaterThan(1);
    await page.fill('[data-testid="devices"] input[type="search"]', "sensor-2");
    await expect.poll(() => page.locator(`${SERIES_CARD}[data-series^="sensor-1:"]:visible`).count()).toBe(0);
    expect(await page.locator(`${SERIES_CARD}[data-series^="sensor-2:"]:visible`).count()).toBe(4);
    expect(new URL(page.url()).hash).toContain("devices=sensor-2");
    await page.fill('[data-testid="devices"] input[type="search"]', "");
    expect(new URL(page.url()).hash).not.toContain("zoom=");
    expect(await page.getAttribute('[data-testid="pause"]', "aria-pressed")).toBe("false");
    expect(errors).toEqual([]);
    await page.close();
  });

  it("says a board without data is empty and how to post to it, until its first point arrives", async () => {
    const quiet = `${board}-quiet`;
    const page = await browser!.newPage({ viewport: { width: 1280, height: 800 } });
    await page.goto(
      `${baseUrl}/#board=${quiet}&token=${await mintToken(secret, { kind: "viewer", board: quiet })}`,
    );
    const empty = page.locator('[data-testid="empty"]');
    await empty.filter({ hasText: `No data on board "${quiet}" yet` }).waitFor({ timeout: 15_000 });
    expect(await empty.textContent()).toContain(`npm run token -- device --board ${quiet}`);
    const token = await mintToken(secret, { kind: "device", board: quiet, device: "first" });
    const posted = await fetch(`${baseUrl}/api/v1/ingest`, {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      body: JSON.stringify({ metrics: { temp: 20 } }),
    });
    expect(posted.status).toBe(202);
    await page.locator(`${SERIES_CARD}[data-series="first:temp"]`).waitFor({ timeout: 10_000 });
    await empty.waitFor({ state: "hidden", timeout: 5_000 });
    await page.close();
  });

  it("names NaN, ±Inf and a staleness marker on the cards and draws their charts without an error", async () => {
    const odd = `${board}-odd`;
    const page = await browser!.newPage({ viewport: { width: 1280, height: 800 } });
    const errors: string[] = [];
    page.on("pageerror", (error) => errors.push(error.message));
    await page.goto(
      `${baseUrl}/#board=${odd}&token=${await mintToken(secret, { kind: "viewer", board: odd })}`,
    );
    await page.locator('[data-testid="empty"]').waitFor({ timeout: 15_000 });
    const token = await mintToken(secret, { kind: "device", board: odd, device: "d" });
    const now = Date.now() - 5000;
    const inf = Number.POSITIVE_INFINITY;
    const sent = { inf: [1, inf, 2, inf], neg: [3, -inf], nan: [1, Number.NaN], gone: [1, STALE] };
    for (const [metric, values] of Object.entries(sent)) {
      const posted = await fetch(`${baseUrl}/api/v1/write`, {
        method: "POST",
        headers: {
          authorization: `Bearer ${token}`,
          "content-type": "application/x-protobuf",
          "content-encoding": "snappy",
          "x-prometheus-remote-write-version": "0.1.0",
        },
        body: remoteWriteBody(
          metric,
          values.map((value, i) => [now + i * 1000, value]),
        ),
      });
      expect(posted.status).toBe(204);
    }
    for (const [metric, text] of [
      ["inf", "+Inf"],
      ["neg", "−Inf"],
      ["nan", "NaN"],
      ["gone", "stale"],
    ] as const) {
      const card = page.locator(`${SERIES_CARD}[data-series="d:${metric}"]`);
      await card.locator(".card-value", { hasText: text }).waitFor({ timeout: 10_000 });
      await card.and(page.locator('[data-drawn="true"]')).waitFor({ timeout: 10_000 });
    }
    expect(errors).toEqual([]);
    await page.close();
  });

  it("keeps 500 series on one board current, holding charts only for the cards on screen", async () => {
    const wide = `${board}-wide`;
    const token = await mintToken(secret, { kind: "device", board: wide, device: "rack" });
    const metrics = Object.fromEntries(
      Array.from({ length: 500 }, (_, i) => [`m${String(i).padStart(3, "0")}`, i]),
    );
    const posted = await fetch(`${baseUrl}/api/v1/ingest`, {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      body: JSON.stringify({ metrics }),
    });
    expect(posted.status).toBe(202);
    const page = await browser!.newPage({ viewport: { width: 1280, height: 800 } });
    const errors: string[] = [];
    page.on("pageerror", (error) => errors.push(error.message));
    const viewerToken = await mintToken(secret, { kind: "viewer", board: wide });
    await page.goto(`${baseUrl}/#board=${wide}&token=${viewerToken}`);
    await page.locator(SERIES_CARD).nth(499).waitFor({ state: "attached", timeout: 15_000 });
    expect(await page.locator(SERIES_CARD).count()).toBe(500);
    await page.locator(`${SERIES_CARD}[data-drawn="true"]`).first().waitFor({ timeout: 10_000 });
    const drawn = await page.locator(`${SERIES_CARD}[data-drawn="true"]`).count();
    expect(drawn).toBeGreaterThan(0);
    expect(drawn).toBeLessThan(60);
    const last = page.locator(`${SERIES_CARD}[data-series="rack:m499"]`);
    await last.scrollIntoViewIfNeeded();
    await page
      .locator(`${SERIES_CARD}[data-series="rack:m499"][data-drawn="true"]`)
      .waitFor({ timeout: 5_000 });
    await page
      .locator(`${SERIES_CARD}[data-series="rack:m000"][data-drawn="false"]`)
      .waitFor({ timeout: 5_000 });
    expect(await last.locator(".card-value").textContent()).toBe("499");
    expect(errors).toEqual([]);
    await page.close();
  });

  it("fires an alert: banner, toast, marked card and threshold line, a signed webhook retried until taken, then resolves", async () => {
    onTestFailed(() => console.error(`--- recent output ---\n${recentOutput.join("\n")}`));
    const hooks = await webhookReceiver();
    const adminToken = await mintToken(secret, { kind: "admin", board });
    const created = await fetch(`${baseUrl}/api/v1/boards/${board}/alerts`, {
      method: "POST",
      headers: { authorization: `Bearer ${adminToken}`, "content-type": "application/json" },
      body: JSON.stringify({
        name: "furnace hot",
        series: "furnace:temp",
        op: ">",
        threshold: 100,
        webhook: hooks.url,
      }),
    });
    expect(created.status).toBe(201);
    const rule = (await created.json()) as { id: string; webhookSecret: string };

    const { page, errors } = await openAlertsPanel(adminToken);
    await page.locator('[data-testid="alert-rule"]', { hasText: "furnace hot" }).waitFor({ timeout: 10_000 });
    await postReading("furnace", "temp", 60);
    const card = page.locator(`${SERIES_CARD}[data-series="furnace:temp"]`);
    await card.waitFor({ timeout: 10_000 });
    expect(await card.getAttribute("data-thresholds")).toBe("100");

    await postReading("furnace", "temp", 130);
    const banner = page.locator('[data-testid="alert-banner"]');
    await banner.filter({ hasText: "furnace hot on furnace:temp (130)" }).waitFor({ timeout: 5_000 });
    await page.locator('[data-testid="toast"]', { hasText: "firing" }).waitFor({ timeout: 5_000 });
    await page.locator(`${SERIES_CARD}[data-series="furnace:temp"][data-alerting="true"]`).waitFor();
    await card.scrollIntoViewIfNeeded();
    await page.screenshot({ path: ALERT_SCREENSHOT_PATH });

    await postReading("furnace", "temp", 70);
    await banner.waitFor({ state: "hidden", timeout: 5_000 });
    await page
      .locator('[data-testid="alert-history"] li', { hasText: "resolved" })
      .waitFor({ timeout: 5_000 });

    // The webhook: refused once (503), retried with the same delivery id, then the resolution; all signed.
    await expect.poll(() => hooks.received.length, { timeout: 30_000 }).toBeGreaterThanOrEqual(3);
    hooks.close();
    const [refused, retried, resolved] = hooks.received;
    expect(refused!.answered).toBe(503);
    expect(retried!.headers["edgepulse-delivery"]).toBe(refused!.headers["edgepulse-delivery"]);
    expect(JSON.parse(retried!.body)).toMatchObject({
      board,
      rule: { id: rule.id },
      event: { state: "firing", value: 130 },
    });
    expect(JSON.parse(resolved!.body).event).toMatchObject({ state: "resolved", from: "firing", value: 70 });
    for (const { headers, body } of hooks.received) {
      const [t, v1] = String(headers["edgepulse-signature"])
        .split(",")
        .map((part) => part.split("=")[1]);
      const expected = createHmac("sha256", rule.webhookSecret).update(`${t}.${body}`).digest("hex");
      expect(v1).toBe(expected);
    }

    // The rule list: an admin adds a rule from the form and deletes it.
    await page.fill('[data-testid="alert-form"] [name="name"]', "furnace silent");
    await page.fill('[data-testid="alert-form"] [name="series"]', "furnace:*");
    await page.selectOption('[data-testid="alert-form"] [name="op"]', "nodata");
    await page.fill('[data-testid="alert-form"] [name="forSeconds"]', "600");
    await page.click('[data-testid="alert-form"] button[type="submit"]');
    const added = page.locator('[data-testid="alert-rule"]', { hasText: "furnace silent" });
    await added.waitFor({ timeout: 5_000 });
    await added.getByRole("button", { name: "Delete rule furnace silent" }).click();
    await added.waitFor({ state: "detached", timeout: 5_000 });
    expect(errors).toEqual([]);
    await page.close();
  });

  it("shows a rule file's PromQL alert as threshold alerts are shown: rule, banner, toast, marked card, its transitions on the chart", async () => {
    onTestFailed(() => console.error(`--- recent output ---\n${recentOutput.join("\n")}`));
    const adminToken = await mintToken(secret, { kind: "admin", board });
    const rules = await fetch(`${baseUrl}/api/v1/boards/${board}/rules`, {
      method: "PUT",
      headers: { authorization: `Bearer ${adminToken}`, "content-type": "application/yaml" },
      body: [
        "groups:",
        "  - name: boiler",
        "    interval: 10s",
        "    rules:",
        "      - alert: BoilerPressure",
        "        expr: pressure > 5",
        "        labels: { severity: page }",
      ].join("\n"),
    });
    expect(rules.status).toBe(200);
    await postReading("boiler", "pressure", 2);

    const { page, errors } = await openAlertsPanel(adminToken);
    const rule = page.locator('[data-testid="alert-rule"][data-source="rule-file"]', {
      hasText: "BoilerPressure",
    });
    await rule.waitFor({ timeout: 10_000 });
    expect(await rule.textContent()).toContain("pressure > 5");
    expect(await rule.getByRole("button").count()).toBe(0);

    // The hub's alarm evaluates the group every 10 s, with or without viewers: firing within one interval.
    await postReading("boiler", "pressure", 9);
    const banner = page.locator('[data-testid="alert-banner"]');
    await banner
      .filter({ hasText: 'BoilerPressure on {instance="boiler",severity="page"} (9)' })
      .waitFor({ timeout: 15_000 });
    await page
      .locator('[data-testid="toast"]', { hasText: "BoilerPressure firing" })
      .waitFor({ timeout: 5_000 });
    const card = page.locator(`${SERIES_CARD}[data-series="boiler:pressure"]`);
    await page.locator(`${SERIES_CARD}[data-series="boiler:pressure"][data-alerting="true"]`).waitFor();
    expect(await card.getAttribute("data-alert-marks")).toMatch(/^\d+:firing$/);
    expect(await rule.getAttribute("data-firing")).toBe("true");

    await postReading("boiler", "pressure", 1);
    await banner.waitFor({ state: "hidden", timeout: 15_000 });
    await page
      .locator('[data-testid="alert-history"] li', { hasText: "BoilerPressure resolved" })
      .waitFor({ timeout: 5_000 });
    expect(await card.getAttribute("data-alert-marks")).toMatch(/^\d+:resolved,\d+:firing$/);
    expect(await card.getAttribute("data-alerting")).toBe("false");
    expect(errors).toEqual([]);
    await page.close();
  });

  it("shows every accepted point exactly once across the history seam, over every transport", async () => {
    await simulation!.stop();
    const accepted = simulation!.accepted;
    expect(simulation!.failed).toBe(0);
    for (const [transport, page] of streaming) {
      // Every accepted post carries one temp_c reading; the backfill lies outside the live 5 minutes. Counts only
      // grow, so waiting for the last frames to land cannot hide a duplicate.
      const shown = async () => {
        const samples = await cardData(page, "samples");
        return (samples["sensor-1:temp_c"] ?? 0) + (samples["sensor-2:temp_c"] ?? 0);
      };
      await expect.poll(shown, { message: transport, timeout: 10_000 }).toBe(accepted);
    }
  });
});
