import {
  type LabelMatcher,
  type LabelSet,
  labelsKey,
  matchesAll,
  type Querier,
  type SelectHints,
  type SeriesSamples,
} from "../promql/index.ts";

/**
 * One series' recent samples in time order, in typed arrays that grow: a selection is a view into them, not a copy.
 * Of equal times the first arrival is kept, as the shards' raw log answers (`readRawSamples`): a live point
 * repeating one the seed read from storage changes nothing.
 */
class RecentSamples {
  readonly labels: LabelSet;
  private t = new Float64Array(16);
  private v = new Float64Array(16);
  private stale = new Uint8Array(16);
  private staleCount = 0;
  /** Samples are at [head, end); those before `head` were dropped (compacted when the arrays grow). */
  private head = 0;
  private end = 0;

  constructor(labels: LabelSet) {
    this.labels = labels;
  }

  get size(): number {
    return this.end - this.head;
  }

  /** Index of the first sample at or after `ts` (after it, when `after`). */
  private lowerBound(ts: number, after = false): number {
    let lo = this.head;
    let hi = this.end;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.t[mid]! < ts || (after && this.t[mid] === ts)) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** Room for one more sample at the end: drops the dropped ones, doubles when still full. */
  private makeRoom(): void {
    if (this.end < this.t.length) return;
    const size = this.size;
    const capacity = size * 2 > this.t.length ? this.t.length * 2 : this.t.length;
    const move = <T extends Float64Array | Uint8Array>(from: T, to: T) => {
      to.set(from.subarray(this.head, this.end));
      return to;
    };
    this.t = move(this.t, new Float64Array(capacity));
    this.v = move(this.v, new Float64Array(capacity));
    this.stale = move(this.stale, new Uint8Array(capacity));
    this.head = 0;
    this.end = size;
  }

  /** Adds a sample; false when one at that time is held already. */
  add(ts: number, value: number, stale: boolean): boolean {
    const at = this.end === this.head || ts > this.t[this.end - 1]! ? this.end : this.lowerBound(ts);
    if (at < this.end && this.t[at] === ts) return false;
    const offset = at - this.head;
    this.makeRoom();
    const index = this.head + offset;
    if (index < this.end) {
      this.t.copyWithin(index + 1, index, this.end);
      this.v.copyWithin(index + 1, index, this.end);
      this.stale.copyWithin(index + 1, index, this.end);
    }
    this.t[index] = ts;
    this.v[index] = value;
    this.stale[index] = stale ? 1 : 0;
    if (stale) this.staleCount++;
    this.end++;
    return true;
  }

  /** The samples in [start, end], as storage answers a selection: views into this series' arrays. */
  slice(start: number, end: number): SeriesSamples {
    const from = this.lowerBound(start);
    const to = this.lowerBound(end, true);
    const samples: SeriesSamples = {
      labels: this.labels,
      timestamps: this.t.subarray(from, to),
      values: this.v.subarray(from, to),
    };
    return this.staleCount > 0 ? { ...samples, stale: this.stale.subarray(from, to) } : samples;
  }

  /** Forgets samples before `ts`; returns how many. */
  dropBefore(ts: number): number {
    const cut = this.lowerBound(ts);
    for (let i = this.head; i < cut; i++) this.staleCount -= this.stale[i]!;
    const dropped = cut - this.head;
    this.head = cut;
    return dropped;
  }
}

/** How far a selection reaches from an evaluation time t: it reads samples in [t - offset - reach, t - offset]. */
export interface SelectionWindow {
  offset: number;
  reach: number;
}

/** One selector of an expression (its matchers) with the series it matched and the windows it is read with. */
interface Selection {
  matchers: readonly LabelMatcher[];
  windows: SelectionWindow[];
  series: Map<string, RecentSamples>;
}

/** Where a series' points go in one selection: an evaluation at t reads them from t + minOffset to t + maxReach. */
interface Target {
  recent: RecentSamples;
  minOffset: number;
  maxReach: number;
}

const selectionKey = (matchers: readonly LabelMatcher[]) =>
  JSON.stringify(matchers.map((m) => [m.name, m.type, m.value]));

/**
 * The recent samples one live expression reads, kept in memory: seeded from storage (the selections of a
 * `query_range` over the last steps), then fed every point the object relays. It answers the engine as storage
 * would for the windows it keeps, so a step evaluated over it equals `query_range`'s for that step.
 */
export class SampleRing implements Querier {
  private readonly selections = new Map<string, Selection>();
  /** Per series id, the series of each selection it belongs to (found once per id). */
  private readonly targets = new Map<number, Target[]>();
  private held = 0;

  get samples(): number {
    return this.held;
  }

  /**
   * Takes a storage selection of the seed query: its matched series, and the window it was read with (null: more
   * samples of a selection already seeded).
   */
  seed(
    matchers: readonly LabelMatcher[],
    window: SelectionWindow | null,
    series: readonly SeriesSamples[],
  ): void {
    const key = selectionKey(matchers);
    let selection = this.selections.get(key);
    if (!selection) {
      selection = { matchers, windows: [], series: new Map() };
      this.selections.set(key, selection);
    }
    if (window) selection.windows.push(window);
    for (const s of series) {
      const recent = this.seriesOf(selection, s.labels);
      for (let i = 0; i < s.timestamps.length; i++)
        if (recent.add(s.timestamps[i]!, s.values[i]!, s.stale?.[i] === 1)) this.held++;
    }
    this.targets.clear();
  }

  private seriesOf(selection: Selection, labels: LabelSet): RecentSamples {
    const key = labelsKey(labels);
    let recent = selection.series.get(key);
    if (!recent) {
      recent = new RecentSamples(labels);
      selection.series.set(key, recent);
    }
    return recent;
  }

  /**
   * A point the object relayed, of the series `id` (`labelsOf` names it): kept by every selection whose matchers it
   * matches. When it lands in the window of an evaluation at or before `lastFinal` (it came late), returns the
   * evaluation times whose result it may change, [from, to]; else null.
   */
  offer(
    id: number,
    labelsOf: (id: number) => LabelSet | undefined,
    ts: number,
    value: number,
    stale: boolean,
    lastFinal: number,
  ): [number, number] | null {
    let targets = this.targets.get(id);
    if (!targets) {
      targets = this.targetsOf(labelsOf(id));
      this.targets.set(id, targets);
    }
    let late: [number, number] | null = null;
    for (const target of targets) {
      if (!target.recent.add(ts, value, stale)) continue;
      this.held++;
      const from = ts + target.minOffset;
      if (from > lastFinal) continue;
      const to = ts + target.maxReach;
      late = late ? [Math.min(late[0], from), Math.max(late[1], to)] : [from, to];
    }
    return late;
  }

  /** The series a point of `labels` goes to, one per selection matching them, with how far their windows reach. */
  private targetsOf(labels: LabelSet | undefined): Target[] {
    const targets: Target[] = [];
    if (!labels) return targets;
    for (const selection of this.selections.values()) {
      if (!matchesAll(labels, selection.matchers)) continue;
      const minOffset = Math.min(...selection.windows.map((w) => w.offset));
      const maxReach = Math.max(...selection.windows.map((w) => w.offset + w.reach));
      targets.push({ recent: this.seriesOf(selection, labels), minOffset, maxReach });
    }
    return targets;
  }

  /** Keeps only what evaluations at `from` and later read. */
  dropBefore(from: number): void {
    for (const selection of this.selections.values()) {
      const reach = Math.max(...selection.windows.map((w) => w.offset + w.reach));
      for (const [key, recent] of selection.series) {
        this.held -= recent.dropBefore(from - reach);
        if (recent.size === 0) {
          selection.series.delete(key);
          this.targets.clear();
        }
      }
    }
  }

  async select(matchers: readonly LabelMatcher[], hints: SelectHints): Promise<SeriesSamples[]> {
    const selection = this.selections.get(selectionKey(matchers));
    if (!selection) throw new Error("a live query selected what its seed did not");
    return [...selection.series.values()].map((recent) => recent.slice(hints.start, hints.end));
  }
}
