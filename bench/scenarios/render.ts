import { mkdtemp, readFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import { tmpdir } from "node:os";
import { extname, join, normalize } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";
import { build } from "vite";
import { num, printTable, ratio, verdict } from "../lib/table.ts";
import { KEEP as KEEP_POINTS } from "../render/feed.ts";
import type { BenchContext } from "./context.ts";

const LIVE_PAGES = ["ours", "chartjs", "uplot"] as const;
/** A saved dashboard of 24 time series panels (bench/render/dashboard-*.ts), ours and uPlot's. */
const DASHBOARD_PAGES = ["dashboard-ours", "dashboard-uplot"] as const;
const PAGES = [...LIVE_PAGES, ...DASHBOARD_PAGES] as const;
type PageName = (typeof PAGES)[number];
const LABELS: Record<PageName, string> = {
  ours: "edgepulse dashboard",
  chartjs: "plain Chart.js",
  uplot: "uPlot",
  "dashboard-ours": "edgepulse dashboard panels",
  "dashboard-uplot": "uPlot",
};
/** The 24-panel layouts: every panel on screen, or Grafana's usual size with most below the fold. */
const LAYOUTS = [
  { query: "?layout=fit", label: "24 panels on screen (4 a row, 114 px)" },
  { query: "?layout=scroll", label: "24 panels, 9 on screen (3 a row, 304 px)" },
] as const;
const RENDER_DIR = fileURLToPath(new URL("../render/", import.meta.url));
const TYPES: Record<string, string> = { ".html": "text/html", ".js": "text/javascript", ".css": "text/css" };

interface RenderResult {
  fps: number;
  /** Main-thread time spent in tasks, ms per second of wall time. */
  busyMsPerS: number;
  scriptMsPerS: number;
  heapMb: number;
  /** From navigation to the frame after every panel on screen drew (dashboard pages only). */
  firstDrawMs?: number;
}

/** Builds the three pages (bench/render) with Vite into a temporary folder. */
export async function buildPages(): Promise<string> {
  const outDir = await mkdtemp(join(tmpdir(), "edgepulse-render-"));
  await build({
    root: RENDER_DIR,
    logLevel: "warn",
    build: {
      outDir,
      emptyOutDir: true,
      target: "es2022",
      rollupOptions: {
        input: Object.fromEntries(PAGES.map((page) => [page, join(RENDER_DIR, `${page}.html`)])),
      },
    },
  });
  return outDir;
}

export function serve(dir: string): Promise<{ server: Server; origin: string }> {
  const server = createServer(async (request, response) => {
    const path = normalize(decodeURIComponent(new URL(request.url ?? "/", "http://x").pathname)).replace(
      /^\/+/,
      "",
    );
    try {
      const body = await readFile(join(dir, path));
      response.writeHead(200, { "content-type": TYPES[extname(path)] ?? "application/octet-stream" });
      response.end(body);
    } catch {
      response.writeHead(404).end();
    }
  });
  return new Promise((resolve) =>
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      resolve({ server, origin: `http://127.0.0.1:${port}` });
    }),
  );
}

/** A bench page open in Chromium, warmed up 3 s, with its performance metrics; `close` ends the browser. */
export async function openPage(origin: string, page: PageName, query = "") {
  const browser = await chromium.launch({
    executablePath: "/usr/bin/chromium",
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-timer-throttling"],
  });
  const tab = await browser.newPage({ viewport: { width: 1440, height: 900 } });
  await tab.goto(`${origin}/${page}.html${query}`);
  await tab.waitForTimeout(3000);
  const cdp = await tab.context().newCDPSession(tab);
  await cdp.send("Performance.enable");
  const metric = async () => {
    const { metrics } = await cdp.send("Performance.getMetrics");
    return Object.fromEntries(metrics.map((m) => [m.name, m.value])) as Record<string, number>;
  };
  return { tab, cdp, metric, close: () => browser.close() };
}

/** Counts animation frames and main-thread time over `seconds`, after a warm-up. */
async function measure(origin: string, page: PageName, seconds: number, query = ""): Promise<RenderResult> {
  const { tab, metric, close } = await openPage(origin, page, query);
  try {
    const firstDraw = (await tab.evaluate("window.__firstDraw")) as number | undefined;
    await tab.evaluate(
      `window.__frames = 0; (function count() { window.__frames++; requestAnimationFrame(count); })();`,
    );
    const before = await metric();
    const started = Date.now();
    await tab.waitForTimeout(seconds * 1000);
    const frames = (await tab.evaluate("window.__frames")) as number;
    const after = await metric();
    const wall = (Date.now() - started) / 1000;
    return {
      fps: frames / wall,
      busyMsPerS: ((after.TaskDuration! - before.TaskDuration!) * 1000) / wall,
      scriptMsPerS: ((after.ScriptDuration! - before.ScriptDuration!) * 1000) / wall,
      heapMb: after.JSHeapUsedSize! / 1e6,
      ...(firstDraw !== undefined ? { firstDrawMs: firstDraw } : {}),
    };
  } finally {
    await close();
  }
}

/**
 * The dashboard's drawing against a plain Chart.js page and uPlot: 50 series, each updated 10 times a second, in
 * Debian's Chromium (software rendering, as on a machine without a GPU). Frames per second and main-thread time.
 */
export async function renderScenario(context: BenchContext): Promise<void> {
  const seconds = context.quick ? 8 : 30;
  const dir = await buildPages();
  const { server, origin } = await serve(dir);
  const results = {} as Record<PageName, RenderResult>;
  const dashboardRows: Array<{ layout: string } & Record<(typeof DASHBOARD_PAGES)[number], RenderResult>> =
    [];
  try {
    for (const page of LIVE_PAGES) {
      results[page] = await measure(origin, page, seconds);
      console.log(
        `  render ${page}: ${num(results[page].fps, 1)} fps, ${num(results[page].busyMsPerS)} ms/s busy`,
      );
    }
    for (const layout of LAYOUTS) {
      const pair = {} as Record<(typeof DASHBOARD_PAGES)[number], RenderResult>;
      for (const page of DASHBOARD_PAGES) {
        pair[page] = await measure(origin, page, seconds, layout.query);
        console.log(
          `  render ${page}${layout.query}: first draw ${num(pair[page].firstDrawMs ?? Number.NaN)} ms, ` +
            `${num(pair[page].fps, 1)} fps, ${num(pair[page].busyMsPerS)} ms/s busy`,
        );
      }
      dashboardRows.push({ layout: layout.label, ...pair });
    }
  } finally {
    server.close();
  }
  const ours = results.ours;
  printTable(
    `Rendering: 50 series x 10 updates/s in Chromium, ${seconds} s after a 3 s warm-up, 1440 x 900`,
    ["page", "fps", "main thread ms/s", "script ms/s", "heap MB", "fps vs ours", "main thread vs ours"],
    LIVE_PAGES.map((page) => [
      LABELS[page],
      num(results[page].fps, 1),
      num(results[page].busyMsPerS),
      num(results[page].scriptMsPerS),
      num(results[page].heapMb, 1),
      ratio(results[page].fps, ours.fps),
      ratio(results[page].busyMsPerS, ours.busyMsPerS),
    ]),
    [
      "fps: animation frames the page got (each of our renders happens in one); main thread: Chromium's",
      "  TaskDuration per second of wall time (everything the page's main thread did: script, layout, paint).",
      "plain Chart.js: default options (animations on), chart.update() for every series on every update.",
      "uPlot: setData() with the new arrays for every series on every update.",
      `Targets: fps >= 2x plain Chart.js: ${ratio(ours.fps, results.chartjs.fps)} ${verdict(ours.fps >= 2 * results.chartjs.fps)};` +
        ` main thread <= uPlot's: ${ratio(ours.busyMsPerS, results.uplot.busyMsPerS)} ${verdict(ours.busyMsPerS <= results.uplot.busyMsPerS)}`,
    ],
  );
  const ratios = dashboardRows.map((row) => ({
    firstDraw: row["dashboard-ours"].firstDrawMs! / row["dashboard-uplot"].firstDrawMs!,
    busy: row["dashboard-ours"].busyMsPerS / row["dashboard-uplot"].busyMsPerS,
  }));
  printTable(
    `Dashboards: 24 time series panels x 5 lines x ${KEEP_POINTS} points, a new point per line 10 times a second, ${seconds} s`,
    [
      "layout",
      "page",
      "first draw ms",
      "fps",
      "main thread ms/s",
      "script ms/s",
      "heap MB",
      "vs uPlot: first draw",
      "vs uPlot: main thread",
    ],
    dashboardRows.flatMap((row, i) =>
      DASHBOARD_PAGES.map((page) => [
        row.layout,
        LABELS[page],
        num(row[page].firstDrawMs ?? Number.NaN),
        num(row[page].fps, 1),
        num(row[page].busyMsPerS),
        num(row[page].scriptMsPerS),
        num(row[page].heapMb, 1),
        page === "dashboard-ours" ? num(ratios[i]!.firstDraw, 2) : "1",
        page === "dashboard-ours" ? num(ratios[i]!.busy, 2) : "1",
      ]),
    ),
    [
      "first draw: from navigation to the frame after every panel on screen drew its history (page load included).",
      "ours: DashboardGrid + PanelView + Chart.js (no animation, parsing off, min/max decimation, update('none'),",
      "  one ResizeObserver, panels off screen skip drawing); uPlot: setData() on every panel on every update.",
      "Both draw lines and axes only (no legend).",
      ...dashboardRows.map(
        (row, i) =>
          `Target (${row.layout}): first draw and main thread <= uPlot's: ` +
          `${num(ratios[i]!.firstDraw, 2)}x ${verdict(ratios[i]!.firstDraw <= 1)}, ${num(ratios[i]!.busy, 2)}x ${verdict(ratios[i]!.busy <= 1)}`,
      ),
    ],
  );
}
