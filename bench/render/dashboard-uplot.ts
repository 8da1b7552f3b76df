import "../../dashboard/src/styles.css";
import "uplot/dist/uPlot.min.css";
import uPlot from "uplot";
import { GAP_PX, ROW_PX } from "../../dashboard/src/dashboards/grid-layout.ts";
import { PALETTE } from "../../dashboard/src/palette.ts";
import { LINES, type Lines, markFirstDraw, PANELS, panelGrid, startDashboardFeed } from "./dashboard-feed.ts";

// The same 24 panels on the same grid, drawn by uPlot (what Grafana draws with): setData() on every update.
const { w, h } = panelGrid(location.search);
const perRow = 24 / w;
const grid = document.getElementById("grid")!;
grid.classList.add("dash-grid");
grid.style.gridAutoRows = `${ROW_PX}px`;
grid.style.gap = `${GAP_PX}px`;
const boxes = Array.from({ length: PANELS }, (_, i) => {
  const panel = document.createElement("article");
  panel.className = "dash-panel";
  panel.style.gridColumn = `${(i % perRow) * w + 1} / span ${w}`;
  panel.style.gridRow = `${Math.floor(i / perRow) * h + 1} / span ${h}`;
  const header = document.createElement("header");
  header.className = "dash-panel-header";
  header.textContent = `panel ${i + 1}`;
  const body = document.createElement("div");
  body.className = "dash-panel-body";
  panel.append(header, body);
  grid.append(panel);
  return body;
});
let plots: uPlot[] = [];

const data = (lines: Lines, p: number): uPlot.AlignedData => [
  lines[p * LINES]!.xs.map((x) => x / 1000),
  ...Array.from({ length: LINES }, (_, l) => lines[p * LINES + l]!.ys),
];

startDashboardFeed(
  (lines) => {
    plots = boxes.map(
      (box, p) =>
        new uPlot(
          {
            width: box.clientWidth,
            height: box.clientHeight,
            legend: { show: false },
            series: [{}, ...Array.from({ length: LINES }, (_, l) => ({ stroke: PALETTE[l]!, width: 1.25 }))],
          },
          data(lines, p),
          box,
        ),
    );
    markFirstDraw();
  },
  (lines) => {
    plots.forEach((plot, p) => {
      plot.setData(data(lines, p));
    });
  },
);
