import "../../dashboard/src/styles.css";
import { Crosshair } from "../../dashboard/src/dashboards/crosshair.ts";
import { DashboardGrid } from "../../dashboard/src/dashboards/dashboard-grid.ts";
import type { PanelSeries } from "../../dashboard/src/dashboards/panel-series.ts";
import type { Panel } from "../../worker/protocol/dashboards.ts";
import { LINES, type Lines, markFirstDraw, PANELS, panelGrid, startDashboardFeed } from "./dashboard-feed.ts";

// The dashboard's own grid and panels, fed as a live dashboard's queries would feed them.
const { w, h } = panelGrid(location.search);
const perRow = 24 / w;
const panels: Panel[] = Array.from({ length: PANELS }, (_, i) => ({
  id: i + 1,
  title: `panel ${i + 1}`,
  type: "timeseries",
  gridPos: { x: (i % perRow) * w, y: Math.floor(i / perRow) * h, w, h },
  targets: [{ refId: "A", expr: `m${i}`, legendFormat: "{{host}}" }],
  unit: "percent",
  // The uPlot page draws lines and axes only; so do these.
  options: { legend: { showLegend: false } },
}));
const noop = () => {};
const grid = new DashboardGrid(document.getElementById("grid")!, {
  crosshair: new Crosshair((run) => requestAnimationFrame(run)),
  onZoom: noop,
  fullScreen: noop,
  edit: noop,
  remove: noop,
  visible: noop,
  layoutChanged: noop,
});
grid.show(panels);

/** Each panel's series over the lines' arrays (points rebuilt per update, as a query answer would be). */
function draw(lines: Lines): void {
  const first = lines[0]!.xs;
  const range = { from: first[0]!, to: first.at(-1)! };
  panels.forEach((panel, p) => {
    const series: PanelSeries[] = Array.from({ length: LINES }, (_, l) => {
      const { xs, ys } = lines[p * LINES + l]!;
      return { name: `host-${l}`, refId: "A", labels: {}, points: xs.map((x, k) => ({ x, y: ys[k]! })) };
    });
    grid.view(panel.id)!.setData(series, range);
  });
}

startDashboardFeed((lines) => {
  draw(lines);
  const onScreen = () => grid.allViews().filter((view) => grid.isVisible(view.panel.id));
  // Drawn means drawn by the chart worker, not only handed to it.
  markFirstDraw(() => onScreen().every((view) => view.body.dataset.plotted !== undefined));
}, draw);
