import { type DataFrame, type StreamPosition, sidOfSeries } from "../../worker/protocol/index.ts";

/** What one history answer covers: every batch up to its positions (one per shard), for the series it holds. */
export interface HistoryCoverage {
  positions: StreamPosition;
  seriesIds: readonly number[];
}

/** A live frame's fate: the part to show (null: nothing new), or "reload" when it cannot be spliced on. */
export type Splice = DataFrame | null | "reload";

/** How a request settled: the held frames to show after the history, or reload it. */
export type SeamResult = { reload: true } | { reload: false; frames: DataFrame[] };

/**
 * Splices live frames onto loaded history without gap or duplicate. A history answer holds exactly each shard's
 * batches up to its position's `seq` (the hub flushes pending live points before answering, so no frame straddles
 * it): a frame of that shard with `toSeq <= seq` is already in it, one with `fromSeq > seq` is new. A series lives in
 * one shard (its id says which), so its cutoff is its shard's seq. Frames that arrive while the request is in flight
 * are held until it answers. With more than one request (over 100 series), each series has its own cutoff.
 */
export class HistorySeam {
  /** Frames held while a request is in flight; null when none is. */
  private held: DataFrame[] | null = null;
  /** Each shard's epoch in the answers; empty while no answer covers any series, and then frames pass as they are. */
  private readonly epochs = new Map<number, number>();
  private readonly cutoffs = new Map<number, number>();

  /** A history request went out: forgets the previous seam and holds live frames until `settle`. */
  begin(): void {
    this.clear();
    this.held = [];
  }

  /** No history is shown (any more): frames pass as they are. */
  clear(): void {
    this.held = null;
    this.epochs.clear();
    this.cutoffs.clear();
  }

  /** Decides what of a live frame to show now; while a request is in flight, holds it and shows nothing. */
  live(frame: DataFrame): Splice {
    if (this.held) {
      this.held.push(frame);
      return null;
    }
    return this.splice(frame);
  }

  /**
   * The request answered: returns the held frames to show after the history, or asks for a reload when the answers
   * disagree on a shard's epoch with each other or with the live connection (`null` while it has no position).
   */
  settle(answers: readonly HistoryCoverage[], live: StreamPosition | null): SeamResult {
    const held = this.held ?? [];
    this.clear();
    for (const answer of answers) {
      for (const { sid, epoch } of answer.positions) {
        if ((this.epochs.get(sid) ?? epoch) !== epoch) return { reload: true };
        this.epochs.set(sid, epoch);
      }
      const seqOf = new Map(answer.positions.map(({ sid, seq }) => [sid, seq]));
      for (const id of answer.seriesIds) this.cutoffs.set(id, seqOf.get(sidOfSeries(id)) ?? 0);
    }
    for (const { sid, epoch } of live ?? [])
      if ((this.epochs.get(sid) ?? epoch) !== epoch) return { reload: true };
    const frames: DataFrame[] = [];
    for (const frame of held) {
      const part = this.splice(frame);
      if (part === "reload") return { reload: true };
      if (part) frames.push(part);
    }
    return { reload: false, frames };
  }

  private splice(frame: DataFrame): Splice {
    if (this.epochs.size === 0) return frame;
    const epoch = this.epochs.get(frame.sid);
    if (epoch !== undefined && frame.epoch !== epoch) return "reload";
    const fresh = frame.groups.filter((group) => {
      const cutoff = this.cutoffs.get(group.seriesId);
      return cutoff === undefined || frame.fromSeq > cutoff;
    });
    // A frame that straddles a seq (a replay after reconnecting from an older position) cannot be cut by seq.
    const straddles = frame.groups.some((group) => {
      const cutoff = this.cutoffs.get(group.seriesId);
      return cutoff !== undefined && frame.fromSeq <= cutoff && frame.toSeq > cutoff;
    });
    if (straddles) return "reload";
    if (fresh.length === 0) return null;
    return fresh.length === frame.groups.length ? frame : { ...frame, groups: fresh };
  }
}
