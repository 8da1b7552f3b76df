import { GRID_COLUMNS, type GridPos, type Panel } from "../../../worker/protocol/dashboards.ts";

/**
 * Panels on Grafana's grid: 24 columns, rows of ROW_PX. Placing a panel keeps it inside the columns and pushes
 * the panels it lands on down below it (as Grafana's layout does), so panels never overlap. No DOM.
 */
export const ROW_PX = 30;
export const GAP_PX = 8;

/** A position kept on the grid: at least one cell, inside the columns. */
export function clampPos({ x, y, w, h }: GridPos): GridPos {
  const width = Math.min(GRID_COLUMNS, Math.max(1, Math.round(w)));
  return {
    x: Math.min(GRID_COLUMNS - width, Math.max(0, Math.round(x))),
    y: Math.max(0, Math.round(y)),
    w: width,
    h: Math.max(1, Math.round(h)),
  };
}

const overlaps = (a: GridPos, b: GridPos) =>
  a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h;

/** The panels with panel `id` at `pos`, every panel it (or a pushed one) lands on moved down below it. */
export function placePanel(panels: readonly Panel[], id: number, pos: GridPos): Panel[] {
  const placed = panels.map((panel) =>
    panel.id === id ? { ...panel, gridPos: clampPos(pos) } : { ...panel, gridPos: { ...panel.gridPos } },
  );
  const moved = placed.filter((panel) => panel.id === id);
  while (moved.length > 0) {
    const fixed = moved.shift()!;
    for (const other of placed) {
      if (other === fixed || !overlaps(fixed.gridPos, other.gridPos)) continue;
      other.gridPos.y = fixed.gridPos.y + fixed.gridPos.h;
      moved.push(other);
    }
  }
  return placed;
}

/** Where a new panel of `w`×`h` goes: below every panel, at the left. */
export function appendPos(panels: readonly Panel[], w = 12, h = 8): GridPos {
  const bottom = Math.max(0, ...panels.map((panel) => panel.gridPos.y + panel.gridPos.h));
  return { x: 0, y: bottom, w, h };
}

/** An id no panel has. */
export const nextPanelId = (panels: readonly Panel[]): number =>
  Math.max(0, ...panels.map((panel) => panel.id)) + 1;

/** The grid cell a point in the grid's box falls in (`width`: the grid's width in px). */
export function cellAt(px: number, py: number, width: number): { x: number; y: number } {
  const column = (width + GAP_PX) / GRID_COLUMNS;
  return { x: Math.floor(px / column), y: Math.floor(py / (ROW_PX + GAP_PX)) };
}
