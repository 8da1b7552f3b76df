import type { DataFrame, StreamPosition } from "../../worker/protocol/index.ts";

/** What one history answer covers: every batch up to its position, for the series it holds. */
export interface HistoryCoverage extends StreamPosition {
  seriesIds: readonly number[];
}

/** A live frame's fate: the part to show (null: nothing new), or "reload" when it cannot be spliced on. */
export type Splice = DataFrame | null | "reload";

/** How a request settled: the held frames to show after the history, or reload it. */
export type SeamResult = { reload: true } | { reload: false; frames: DataFrame[] };

/**
 * Splices live frames onto loaded history without gap or duplicate. A history answer holds exactly the batches up
 * to its `seq` (the board flushes pending live points before answering, so no frame straddles it): a frame with
 * `toSeq <= seq` is already in it, one with `fromSeq > seq` is new. Frames that arrive while the request is in
 * flight are held until it answers. With more than one request (over 100 series), each series has its own seq.
 */
export class HistorySeam {
  /** Frames held while a request is in flight; null when none is. */
  private held: DataFrame[] | null = null;
  /** The answers' epoch; null while no answer covers any series, and then frames pass as they are. */
  private epoch: number | null = null;
  private readonly cutoffs = new Map<number, number>();

  /** A history request went out: forgets the previous seam and holds live frames until `settle`. */
  begin(): void {
    this.clear();
    this.held = [];
  }

  /** No history is shown (any more): frames pass as they are. */
  clear(): void {
    this.held = null;
    this.epoch = null;
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
   * disagree with each other or with the live connection's epoch (`null` while no live position is known).
   */
  settle(answers: readonly HistoryCoverage[], liveEpoch: number | null): SeamResult {
    const held = this.held ?? [];
    this.clear();
    for (const answer of answers) {
      if (this.epoch !== null && answer.epoch !== this.epoch) return { reload: true };
      this.epoch = answer.epoch;
      for (const id of answer.seriesIds) this.cutoffs.set(id, answer.seq);
    }
    if (this.epoch !== null && liveEpoch !== null && liveEpoch !== this.epoch) return { reload: true };
    const frames: DataFrame[] = [];
    for (const frame of held) {
      const part = this.splice(frame);
      if (part === "reload") return { reload: true };
      if (part) frames.push(part);
    }
    return { reload: false, frames };
  }

  private splice(frame: DataFrame): Splice {
    if (this.epoch === null) return frame;
    if (frame.epoch !== this.epoch) return "reload";
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
