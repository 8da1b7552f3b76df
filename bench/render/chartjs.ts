import "../../dashboard/src/styles.css";
import { Chart, registerables } from "chart.js";
import { chartBox, KEEP, SERIES, startFeed } from "./feed.ts";

// A plain Chart.js page, as its getting-started guide builds one: defaults, and update() on every message.
Chart.register(...registerables);
const grid = document.getElementById("grid")!;
const charts = Array.from({ length: SERIES }, (_, i) => {
  const canvas = document.createElement("canvas");
  chartBox(grid, `m${i}`).append(canvas);
  return new Chart(canvas, {
    type: "line",
    data: { labels: [] as number[], datasets: [{ label: `m${i}`, data: [] as number[] }] },
    options: { responsive: true, maintainAspectRatio: false },
  });
});
startFeed((ts, values) => {
  charts.forEach((chart, i) => {
    const labels = chart.data.labels as number[];
    const data = chart.data.datasets[0]!.data as number[];
    labels.push(ts);
    data.push(values[i]!);
    if (labels.length > KEEP) {
      labels.shift();
      data.shift();
    }
    chart.update();
  });
});
