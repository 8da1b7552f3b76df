import "../../dashboard/src/styles.css";
import { BoardView } from "../../dashboard/src/board-view.ts";
import { DEFAULT_RANGE } from "../../dashboard/src/time-range.ts";
import { SERIES, startFeed } from "./feed.ts";

// The dashboard's own view, fed as the live client feeds it: one frame per tick with a group per series.
const view = new BoardView(document.getElementById("grid")!, DEFAULT_RANGE, () => {});
view.series(Array.from({ length: SERIES }, (_, id) => ({ id, device: "bench", metric: `m${id}` })));
let seq = 0;
startFeed((ts, values) => {
  seq++;
  const groups = Array.from(values, (value, seriesId) => ({ seriesId, ts: [ts], values: [value] }));
  view.frame({ sid: 0, epoch: 1, fromSeq: seq, toSeq: seq, groups });
});
