import type { GridPos, Panel } from "../../../worker/protocol/dashboards.ts";
import { chartWorker } from "./chart-client.ts";
import { cellAt, GAP_PX, placePanel, ROW_PX } from "./grid-layout.ts";
import { type PanelHooks, PanelView } from "./panel-view.ts";

/** What the grid tells the dashboard. */
export interface GridHooks extends PanelHooks {
  /** A panel came on screen (first time or again): load it if its data is out of date. */
  visible: (panel: Panel) => void;
  /** Edit mode: panels moved or resized. */
  layoutChanged: (panels: Panel[]) => void;
}

/**
 * Panels placed on a CSS grid of 24 columns and 30 px rows by their gridPos. One ResizeObserver and one
 * IntersectionObserver serve every panel: a panel resizes its chart when its box changes and draws only while
 * on screen (with a margin). In edit mode a panel's header drags it and its corner resizes it, cell by cell.
 */
export class DashboardGrid {
  private readonly views = new Map<number, PanelView>();
  private readonly viewOf = new WeakMap<Element, PanelView>();
  private readonly resizes: ResizeObserver;
  private readonly onScreen: IntersectionObserver;
  private panels: Panel[] = [];
  private editing = false;
  private fullScreen: number | null = null;

  readonly element: HTMLElement;
  private readonly hooks: GridHooks;

  constructor(element: HTMLElement, hooks: GridHooks) {
    this.element = element;
    this.hooks = hooks;
    element.classList.add("dash-grid");
    element.style.gridAutoRows = `${ROW_PX}px`;
    element.style.gap = `${GAP_PX}px`;
    this.resizes = new ResizeObserver((entries) => {
      for (const entry of entries) this.viewOf.get(entry.target)?.resize();
    });
    this.onScreen = new IntersectionObserver(
      (entries) => {
        for (const entry of entries) {
          const view = this.viewOf.get(entry.target);
          if (!view) continue;
          view.setVisible(entry.isIntersecting);
          if (entry.isIntersecting) hooks.visible(view.panel);
        }
      },
      { rootMargin: "200px 0px" },
    );
    element.addEventListener("pointerdown", (event) => this.startDrag(event));
  }

  /** Shows `panels`: views of panels whose definition is unchanged are kept with their data. */
  show(panels: Panel[]): void {
    this.panels = panels;
    if (panels.some((panel) => panel.type === "timeseries")) chartWorker();
    const fresh: PanelView[] = [];
    const kept = new Set<number>();
    for (const panel of panels) {
      const view = this.views.get(panel.id);
      if (view && sameDefinition(view.panel, panel)) {
        kept.add(panel.id);
        view.panel.gridPos = panel.gridPos;
        this.place(view);
        continue;
      }
      if (view) this.drop(view);
      const created = new PanelView(panel, this.hooks);
      this.views.set(panel.id, created);
      this.viewOf.set(created.element, created);
      this.viewOf.set(created.body, created);
      this.place(created);
      this.element.append(created.element);
      this.resizes.observe(created.body);
      this.onScreen.observe(created.element);
      kept.add(panel.id);
      fresh.push(created);
    }
    for (const [id, view] of this.views) if (!kept.has(id)) this.drop(view);
    // New panels already on screen draw their first data at once, not a frame later when the observer reports.
    for (const view of fresh) if (this.isVisible(view.panel.id)) view.setVisible(true);
  }

  view(id: number): PanelView | undefined {
    return this.views.get(id);
  }

  allViews(): PanelView[] {
    return [...this.views.values()];
  }

  /** Whether a panel is on screen now. */
  isVisible(id: number): boolean {
    const element = this.views.get(id)?.element;
    if (!element || element.hidden) return false;
    const box = element.getBoundingClientRect();
    return box.bottom > -200 && box.top < innerHeight + 200 && box.width > 0;
  }

  setEditing(editing: boolean): void {
    this.editing = editing;
    this.element.classList.toggle("editing", editing);
  }

  /** One panel over the whole grid (`viewPanel`), or all of them (null). */
  setFullScreen(id: number | null): void {
    this.fullScreen = id;
    for (const [panelId, view] of this.views) {
      view.element.classList.toggle("full-screen-panel", panelId === id);
      view.element.hidden = id !== null && panelId !== id;
      this.place(view);
    }
  }

  private place(view: PanelView): void {
    if (view.panel.id === this.fullScreen) {
      view.element.style.gridColumn = "1 / -1";
      view.element.style.gridRow = "1";
      return;
    }
    const { x, y, w, h } = view.panel.gridPos;
    view.element.style.gridColumn = `${x + 1} / span ${w}`;
    view.element.style.gridRow = `${y + 1} / span ${h}`;
  }

  private drop(view: PanelView): void {
    this.resizes.unobserve(view.body);
    this.onScreen.unobserve(view.element);
    this.views.delete(view.panel.id);
    view.destroy();
  }

  /** Edit mode: a drag on a header moves the panel, on the corner resizes it, snapping to cells. */
  private startDrag(event: PointerEvent): void {
    if (!this.editing || !(event.target instanceof Element)) return;
    if (event.target.closest("button")) return;
    const resizing = event.target.closest(".dash-resize") !== null;
    if (!resizing && !event.target.closest(".dash-panel-header")) return;
    const element = event.target.closest<HTMLElement>(".dash-panel");
    const view = element && this.viewOf.get(element);
    if (!view) return;
    event.preventDefault();
    const origin = this.cell(event);
    const start: GridPos = { ...view.panel.gridPos };
    let last = start;
    const move = (moveEvent: PointerEvent) => {
      const at = this.cell(moveEvent);
      const dx = at.x - origin.x;
      const dy = at.y - origin.y;
      const next = resizing
        ? { ...start, w: start.w + dx, h: start.h + dy }
        : { ...start, x: start.x + dx, y: start.y + dy };
      if (next.x === last.x && next.y === last.y && next.w === last.w && next.h === last.h) return;
      last = next;
      this.show(placePanel(this.panels, view.panel.id, next));
    };
    const end = () => {
      removeEventListener("pointermove", move);
      removeEventListener("pointerup", end);
      if (last !== start) this.hooks.layoutChanged(this.panels);
    };
    addEventListener("pointermove", move);
    addEventListener("pointerup", end);
  }

  private cell(event: PointerEvent) {
    const box = this.element.getBoundingClientRect();
    return cellAt(event.clientX - box.left, event.clientY - box.top, box.width);
  }
}

/** Whether two versions of a panel draw the same (only its place differs). */
function sameDefinition(a: Panel, b: Panel): boolean {
  return JSON.stringify({ ...a, gridPos: null }) === JSON.stringify({ ...b, gridPos: null });
}
