import "../../dashboard/src/styles.css";
import "uplot/dist/uPlot.min.css";
import uPlot from "uplot";
import { chartBox, KEEP, SERIES, startFeed } from "./feed.ts";

// uPlot (what Grafana draws with), as its streaming demos do: setData() with the new arrays on every message.
const grid = document.getElementById("grid")!;
const plots = Array.from({ length: SERIES }, (_, i) => {
  const box = chartBox(grid, `m${i}`);
  const plot = new uPlot(
    { width: box.clientWidth || 300, height: box.clientHeight || 144, series: [{}, { stroke: "#58a6ff" }] },
    [[], []],
    box,
  );
  return { plot, xs: [] as number[], ys: [] as number[] };
});
startFeed((ts, values) => {
  plots.forEach((entry, i) => {
    entry.xs.push(ts / 1000);
    entry.ys.push(values[i]!);
    if (entry.xs.length > KEEP) {
      entry.xs.shift();
      entry.ys.shift();
    }
    entry.plot.setData([entry.xs, entry.ys]);
  });
});
