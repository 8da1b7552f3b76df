/**
 * End to end: the built dashboard, served by `wrangler dev` with its own secret and storage, shows the points
 * of simulated devices in a real (Debian) Chromium. Nothing here touches the developer's .dev.vars or state.
 */
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Browser, chromium, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from "vitest";
import { mintToken } from "../../scripts/mint-token.ts";
import { findFreePorts, waitForHttp } from "../../scripts/net.ts";
import { type GroupProcess, runGroup, startGroup } from "../../scripts/processes.ts";
import { type Simulation, startSimulation } from "../../scripts/simulation.ts";
import { DEV_HOST, viteBuild, wranglerDev } from "../../scripts/tools.ts";

const SCREENSHOT_PATH = "/tmp/edgepulse-e2e.png";
const CONNECTION_STATE = '[data-testid="connection-state"]';
const SERIES_CARD = '[data-testid="series-card"]';
const DEVICES = 2;
const METRICS_PER_DEVICE = 4;
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
let wrangler: GroupProcess | undefined;
let simulation: Simulation | undefined;
let browser: Browser | undefined;

async function pointCounts(page: Page): Promise<Record<string, number>> {
  return page.$$eval(SERIES_CARD, (cards) =>
    Object.fromEntries(
      cards.map((card) => [card.getAttribute("data-series"), Number(card.getAttribute("data-points"))]),
    ),
  );
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
        ]),
        { output: record },
      );
      await waitForHttp(`${baseUrl}/`, 60_000, wrangler.exited);
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

  it("connects, shows a card per series and keeps adding points as devices post", async () => {
    onTestFailed(() => console.error(`--- recent output ---\n${recentOutput.join("\n")}`));
    const page = await browser!.newPage({ viewport: { width: 1280, height: 800 } });
    const pageErrors: string[] = [];
    page.on("pageerror", (error) => pageErrors.push(error.message));
    const viewerToken = await mintToken(secret, { kind: "viewer", board });

    await page.goto(`${baseUrl}/#board=${board}&token=${viewerToken}`);
    await page.locator(CONNECTION_STATE, { hasText: /^OPEN$/ }).waitFor({ timeout: 15_000 });
    await page
      .locator(SERIES_CARD)
      .nth(DEVICES * METRICS_PER_DEVICE - 1)
      .waitFor({ timeout: 15_000 });

    const before = await pointCounts(page);
    await page.waitForTimeout(3_000);
    const after = await pointCounts(page);
    await page.screenshot({ path: SCREENSHOT_PATH });

    expect(Object.keys(after).sort()).toEqual(
      ["sensor-1", "sensor-2"].flatMap((device) =>
        ["cpu_pct", "humidity_pct", "requests_total", "temp_c"].map((metric) => `${device}:${metric}`),
      ),
    );
    // 3 s at 4 posts/s is 12 points per series; allow for a slow machine.
    for (const [series, count] of Object.entries(after)) {
      expect(count - (before[series] ?? 0), series).toBeGreaterThanOrEqual(4);
    }
    expect(await page.textContent(CONNECTION_STATE)).toBe("OPEN");
    expect(pageErrors).toEqual([]);
    expect(simulation!.accepted).toBeGreaterThan(0);
  });
});
