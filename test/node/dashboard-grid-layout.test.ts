import { describe, expect, it } from "vitest";
import { Crosshair } from "../../dashboard/src/dashboards/crosshair.ts";
import {
  appendPos,
  cellAt,
  clampPos,
  nextPanelId,
  placePanel,
} from "../../dashboard/src/dashboards/grid-layout.ts";
import type { GridPos, Panel } from "../../worker/protocol/dashboards.ts";

const panel = (id: number, gridPos: GridPos): Panel => ({
  id,
  title: `p${id}`,
  type: "stat",
  gridPos,
  targets: [],
});
const positions = (panels: Panel[]) => Object.fromEntries(panels.map((p) => [p.id, p.gridPos]));

describe("panels on the 24-column grid", () => {
  it("stay inside the columns, at least one cell", () => {
    expect(clampPos({ x: 20, y: -3, w: 8, h: 0 })).toEqual({ x: 16, y: 0, w: 8, h: 1 });
    expect(clampPos({ x: -2, y: 1.6, w: 40, h: 3 })).toEqual({ x: 0, y: 2, w: 24, h: 3 });
  });

  it("push the panels a moved one lands on down below it, and those they land on in turn", () => {
    const panels = [
      panel(1, { x: 0, y: 0, w: 12, h: 4 }),
      panel(2, { x: 12, y: 0, w: 12, h: 4 }),
      panel(3, { x: 12, y: 4, w: 12, h: 4 }),
    ];
    const moved = placePanel(panels, 1, { x: 12, y: 0, w: 12, h: 4 });
    expect(positions(moved)).toEqual({
      1: { x: 12, y: 0, w: 12, h: 4 },
      2: { x: 12, y: 4, w: 12, h: 4 },
      3: { x: 12, y: 8, w: 12, h: 4 },
    });
    expect(panels[1]!.gridPos.y).toBe(0); // the input is left as it was
  });

  it("leave panels beside a resized one where they are", () => {
    const panels = [panel(1, { x: 0, y: 0, w: 12, h: 4 }), panel(2, { x: 12, y: 0, w: 12, h: 4 })];
    const resized = placePanel(panels, 1, { x: 0, y: 0, w: 12, h: 9 });
    expect(positions(resized)[2]).toEqual({ x: 12, y: 0, w: 12, h: 4 });
  });

  it("add new panels below all others, with an id no panel has", () => {
    const panels = [panel(4, { x: 0, y: 0, w: 12, h: 4 }), panel(2, { x: 12, y: 2, w: 12, h: 6 })];
    expect(appendPos(panels)).toEqual({ x: 0, y: 8, w: 12, h: 8 });
    expect(appendPos([])).toEqual({ x: 0, y: 0, w: 12, h: 8 });
    expect(nextPanelId(panels)).toBe(5);
    expect(nextPanelId([])).toBe(1);
  });

  it("find the cell under the pointer", () => {
    // 24 columns over 952 px with 8 px gaps: 40 px a column; rows 30 px + 8 px.
    expect(cellAt(0, 0, 952)).toEqual({ x: 0, y: 0 });
    expect(cellAt(125, 80, 952)).toEqual({ x: 3, y: 2 });
  });
});

describe("the shared crosshair", () => {
  it("tells every panel the latest time once per frame, however often the pointer moves", () => {
    const frames: Array<() => void> = [];
    const crosshair = new Crosshair((run) => frames.push(run));
    const heard: Array<Array<number | null>> = [[], []];
    crosshair.subscribe((time) => heard[0]!.push(time));
    const leave = crosshair.subscribe((time) => heard[1]!.push(time));
    crosshair.set(1);
    crosshair.set(2);
    crosshair.set(3);
    expect(frames).toHaveLength(1);
    frames.shift()!();
    leave();
    crosshair.set(null);
    frames.shift()!();
    expect(heard).toEqual([[3, null], [3]]);
  });
});
