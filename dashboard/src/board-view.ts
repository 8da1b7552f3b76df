import type { SeriesState } from "../../worker/protocol/index.ts";
import { frameBatcher } from "./frame-batcher.ts";
import type { LiveListener } from "./live-client.ts";
import { SeriesCard } from "./series-card.ts";
import type { WindowLimits } from "./series-window.ts";

/** Five minutes of history per series, and never more than 1500 points (5 a second for 5 minutes). */
export const WINDOW_LIMITS: WindowLimits = { maxPoints: 1500, spanMs: 5 * 60_000 };

function sortKey(card: SeriesCard): string {
  return `${card.def.device}\u0000${card.def.metric}`;
}

/** The grid of series cards, fed by the live client; draws changed cards once per animation frame. */
export class BoardView implements LiveListener {
  private readonly grid: HTMLElement;
  private readonly onSeriesCount: (count: number) => void;
  private readonly cards = new Map<number, SeriesCard>();
  private readonly changed = new Set<SeriesCard>();
  private readonly requestRender = frameBatcher(() => this.render(), requestAnimationFrame);

  constructor(grid: HTMLElement, onSeriesCount: (count: number) => void) {
    this.grid = grid;
    this.onSeriesCount = onSeriesCount;
  }

  series(series: readonly SeriesState[]): void {
    for (const state of series) {
      const card = this.cards.get(state.id) ?? this.addCard(state);
      if (state.last) card.window.append([state.last.ts], [state.last.value]);
      this.changed.add(card);
    }
    this.onSeriesCount(this.cards.size);
    this.requestRender();
  }

  points(seriesId: number, ts: readonly number[], values: readonly number[]): void {
    const card = this.cards.get(seriesId);
    if (!card) return;
    card.window.append(ts, values);
    this.changed.add(card);
    this.requestRender();
  }

  reset(): void {
    for (const card of this.cards.values()) card.destroy();
    this.cards.clear();
    this.changed.clear();
    this.onSeriesCount(0);
  }

  problem(text: string): void {
    console.warn(`edgepulse: ${text}`);
  }

  /** Cards stay sorted by device, then metric. */
  private addCard(state: SeriesState): SeriesCard {
    const card = new SeriesCard(state, WINDOW_LIMITS);
    const key = sortKey(card);
    let next: SeriesCard | undefined;
    for (const other of this.cards.values()) {
      const otherKey = sortKey(other);
      if (otherKey > key && (!next || otherKey < sortKey(next))) next = other;
    }
    this.grid.insertBefore(card.element, next?.element ?? null);
    this.cards.set(state.id, card);
    return card;
  }

  private render(): void {
    for (const card of this.changed) card.render();
    this.changed.clear();
  }
}
