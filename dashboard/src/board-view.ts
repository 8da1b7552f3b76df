import {
  type DataFrame,
  fromJsonValue,
  type SeriesDef,
  type SeriesState,
  seriesName,
} from "../../worker/protocol/index.ts";
import type { AlertMark } from "./alert-state.ts";
import { Crosshair } from "./dashboards/crosshair.ts";
import type { TimeseriesHooks } from "./dashboards/timeseries-chart.ts";
import { frameBatcher } from "./frame-batcher.ts";
import type { HistoryAnswer } from "./history-query.ts";
import type { HistoryView } from "./history-sync.ts";
import { MetricPanel } from "./metric-panel.ts";
import { type CardView, SeriesCard } from "./series-card.ts";
import type { WindowLimits } from "./series-window.ts";
import { type AxisBounds, liveAxis } from "./time-axis.ts";
import { showsBand, type TimeRange } from "./time-range.ts";

function compareNames(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Cards shown at most; a board with more series shows the first ones by name (narrow it with `series=`). Only the
 * cards on screen hold a chart, so this bounds the page's data and DOM, not its drawing.
 */
export const MAX_CARDS = 1000;

/** Cards per series, or panels per metric with a line per device and label set. */
export type Layout = "series" | "metrics";

/** What a series' card shows of the board's alerts: rules' thresholds, transitions, whether one fires on it. */
export interface CardAlerts {
  thresholds(def: SeriesDef): number[];
  marks(def: SeriesDef): AlertMark[];
  firing(def: SeriesDef): boolean;
}

const NO_ALERTS: CardAlerts = { thresholds: () => [], marks: () => [], firing: () => false };

/** How many series the board holds, and how many of them have cards. */
export interface SeriesCount {
  shown: number;
  total: number;
}

/**
 * The grid of series cards, fed by the live client and history; draws changed cards once per animation frame, all on
 * one time axis: the board's newest point back over the range while live, or a fixed span once zoomed or paused.
 */
export class BoardView implements HistoryView {
  private readonly grid: HTMLElement;
  private readonly onSeriesCount: (count: SeriesCount) => void;
  private readonly cards = new Map<number, SeriesCard>();
  /** What each card draws of the board's alerts (see `showAlerts`). */
  private alerts: CardAlerts = NO_ALERTS;
  /** Card names in display order, for inserting in place. */
  private readonly order: Array<{ name: string; card: SeriesCard }> = [];
  /** Ids of series past MAX_CARDS. */
  private readonly hidden = new Set<number>();
  private readonly changed = new Set<SeriesCard>();
  /** Devices the board says are offline: new cards of theirs start marked. */
  private readonly offline = new Set<string>();
  private readonly requestRender = frameBatcher(() => this.render(), requestAnimationFrame);
  private limits: WindowLimits;
  private band = false;
  /** The live axis as last drawn, and the fixed one while zoomed or paused (null: live). */
  private live: AxisBounds | null = null;
  private fixed: AxisBounds | null = null;
  private readonly cardView: CardView = {
    axis: () => this.fixed ?? this.live,
    zoomTo: (axis) => this.setFixedAxis(axis),
    toggleFocus: (card) => this.setFocus(this.focused === seriesName(card.def) ? null : seriesName(card.def)),
  };
  /** The series shown alone and large (`&focus=`), and the device filter (`&devices=`), as the URL keeps them. */
  private focused: string | null = null;
  private deviceFilter = "";
  onFocusChange: (focused: string | null) => void = () => {};
  /** Panels per metric over the cards' windows, drawn instead of the cards in the `metrics` layout. */
  private readonly panels = new Map<string, MetricPanel>();
  private readonly panelOf = new Map<SeriesCard, MetricPanel>();
  private layout: Layout = "series";
  /** What the per-metric panels share: one crosshair, and a drag across any of them zooms the whole view. */
  private readonly panelHooks: TimeseriesHooks = {
    crosshair: new Crosshair((run) => requestAnimationFrame(run)),
    onZoom: ({ from, to }) => this.setFixedAxis({ min: from, max: to }),
  };
  /** Hears when the view leaves live or comes back (for the controls and the URL). */
  onAxisChange: (fixed: AxisBounds | null) => void = () => {};

  /** Which cards are on screen (with a margin): the others skip redrawing their charts. */
  private readonly onScreen: IntersectionObserver | null;
  private readonly cardOf = new WeakMap<Element, SeriesCard>();

  constructor(grid: HTMLElement, range: TimeRange, onSeriesCount: (count: SeriesCount) => void) {
    this.grid = grid;
    this.onScreen =
      typeof IntersectionObserver === "undefined"
        ? null
        : new IntersectionObserver(
            (entries) => {
              for (const entry of entries) this.cardOf.get(entry.target)?.reveal(entry.isIntersecting);
            },
            { rootMargin: "300px" },
          );
    this.limits = { spanMs: range.spanMs, stepMs: range.stepMs };
    this.onSeriesCount = onSeriesCount;
  }

  seriesDefs(): SeriesDef[] {
    return [...this.cards.values()].map((card) => card.def);
  }

  series(series: readonly SeriesState[]): void {
    // Long polls repeat the whole catalog with every answer: redraw only cards that are new or have a reading.
    // By name, so a board with more series than cards shows the first ones by name, whatever order they came in.
    const named =
      series.length > 1 ? [...series].sort((a, b) => compareNames(seriesName(a), seriesName(b))) : series;
    for (const state of named) {
      const known = this.cards.get(state.id);
      if (!known && this.cards.size >= MAX_CARDS) {
        this.hidden.add(state.id);
        continue;
      }
      const card = known ?? this.addCard(state);
      if (state.last) card.window.note(state.last.ts, fromJsonValue(state.last.value), state.last.stale);
      if (!known || state.last) this.changed.add(card);
    }
    this.onSeriesCount({ shown: this.cards.size, total: this.cards.size + this.hidden.size });
    this.requestRender();
  }

  frame(frame: DataFrame): void {
    for (const { seriesId, ts, values, stale } of frame.groups) {
      const card = this.cards.get(seriesId);
      if (!card) continue;
      card.window.append(ts, values, stale);
      this.changed.add(card);
    }
    this.requestRender();
  }

  /** Buckets as wide as the board answered (it may round the step up), with a band when they are coarse. */
  showHistory(range: TimeRange, answers: readonly HistoryAnswer[]): void {
    const first = answers[0];
    this.limits = { spanMs: range.spanMs, stepMs: first?.step ?? range.stepMs };
    this.band = showsBand(this.limits.stepMs, first?.resolution ?? "raw");
    const byKey = new Map([...this.cards.values()].map((card) => [seriesName(card.def), card]));
    for (const card of this.cards.values()) {
      card.show(this.limits, this.band);
      this.changed.add(card);
    }
    for (const answer of answers) {
      for (const history of answer.series) byKey.get(seriesName(history))?.window.load(history);
    }
    this.requestRender();
  }

  /** Shows one series alone and large (null: every card). */
  setFocus(name: string | null): void {
    this.focused = name;
    if (name) this.grid.dataset.focused = "true";
    else delete this.grid.dataset.focused;
    for (const card of this.cards.values()) this.place(card);
    this.onFocusChange(name);
  }

  /** Shows only the cards of devices whose id contains `text` (any case; empty: all). */
  setDeviceFilter(text: string): void {
    this.deviceFilter = text.trim().toLowerCase();
    for (const card of this.cards.values()) this.place(card);
  }

  /** A card's place under the focus and the filter. */
  private place(card: SeriesCard): void {
    card.element.dataset.focused = String(this.focused === seriesName(card.def));
    card.element.hidden = !card.def.device.toLowerCase().includes(this.deviceFilter);
  }

  /** Shows cards per series, or panels per metric (the cards keep the data either way). */
  setLayout(layout: Layout): void {
    this.layout = layout;
    this.grid.dataset.layout = layout;
    for (const panel of this.panels.values()) panel.setVisible(layout === "metrics");
    for (const card of this.cards.values()) this.changed.add(card);
    this.requestRender();
  }

  /** The axis every card draws now. */
  get axis(): AxisBounds | null {
    return this.fixed ?? this.live;
  }

  /** Fixes the axis (a zoom, or a pause at the current one), or returns to live with null. */
  setFixedAxis(axis: AxisBounds | null): void {
    this.fixed = axis;
    for (const card of this.cards.values()) this.changed.add(card);
    this.requestRender();
    this.onAxisChange(axis);
  }

  /** Marks a device's cards as offline (dimmed and labelled) or live again. */
  markDevice(device: string, online: boolean): void {
    if (online) this.offline.delete(device);
    else this.offline.add(device);
    for (const card of this.cards.values()) if (card.def.device === device) card.markOffline(!online);
  }

  /**
   * Draws each card's alert thresholds and transitions, and marks the cards whose series have a firing alert.
   */
  showAlerts(alerts: CardAlerts): void {
    this.alerts = alerts;
    for (const card of this.cards.values()) this.decorate(card);
  }

  private decorate(card: SeriesCard): void {
    // A counter's card draws its rate: a threshold on its total would mislead there.
    card.showThresholds(card.def.kind === "counter" ? [] : this.alerts.thresholds(card.def));
    card.showAlertMarks(this.alerts.marks(card.def));
    card.markAlerting(this.alerts.firing(card.def));
  }

  /** The device of a series that has a card (frames name series by id). */
  deviceOf(seriesId: number): string | undefined {
    return this.cards.get(seriesId)?.def.device;
  }

  reset(): void {
    this.onScreen?.disconnect();
    for (const card of this.cards.values()) card.destroy();
    this.cards.clear();
    for (const panel of this.panels.values()) panel.destroy();
    this.panels.clear();
    this.panelOf.clear();
    this.order.length = 0;
    this.hidden.clear();
    this.changed.clear();
    this.onSeriesCount({ shown: 0, total: 0 });
  }

  problem(text: string): void {
    console.warn(`edgepulse: ${text}`);
  }

  /** Cards stay sorted by device, then metric, then labels. */
  private addCard(state: SeriesState): SeriesCard {
    // With an observer, a card draws once it reports the card on screen.
    const card = new SeriesCard(state, this.limits, this.band, this.cardView, this.onScreen === null);
    const name = seriesName(card.def);
    let low = 0;
    let high = this.order.length;
    while (low < high) {
      const middle = (low + high) >> 1;
      if (this.order[middle]!.name < name) low = middle + 1;
      else high = middle;
    }
    card.markOffline(this.offline.has(card.def.device));
    this.decorate(card);
    this.place(card);
    this.joinPanel(card);
    this.cardOf.set(card.element, card);
    this.onScreen?.observe(card.element);
    this.grid.insertBefore(card.element, this.order[low]?.card.element ?? null);
    this.order.splice(low, 0, { name, card });
    this.cards.set(state.id, card);
    return card;
  }

  /** A card's series gets a line in its metric's panel (panels first in the grid, by metric). */
  private joinPanel(card: SeriesCard): void {
    const { metric } = card.def;
    let panel = this.panels.get(metric);
    if (!panel) {
      panel = new MetricPanel(metric, card.def, this.panelHooks);
      panel.setVisible(this.layout === "metrics");
      const next = [...this.panels.values()].find((other) => other.metric > metric);
      this.grid.insertBefore(panel.element, next?.element ?? this.order[0]?.card.element ?? null);
      this.panels.set(metric, panel);
    }
    panel.add(card);
    this.panelOf.set(card, panel);
  }

  private render(): void {
    const live = liveAxis(
      [...this.cards.values()].map((card) => card.window.avg),
      this.limits.spanMs,
    );
    // The shared axis moved: every card redraws (off-screen ones once they scroll into view).
    if (!this.fixed && (live?.min !== this.live?.min || live?.max !== this.live?.max))
      for (const card of this.cards.values()) this.changed.add(card);
    this.live = live;
    const panels = new Set<MetricPanel>();
    for (const card of this.changed) {
      card.render();
      const panel = this.panelOf.get(card);
      if (panel) panels.add(panel);
    }
    this.changed.clear();
    if (this.layout === "metrics") for (const panel of panels) panel.render(this.axis);
  }
}
