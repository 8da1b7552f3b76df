import { expect } from "vitest";
import { type SeriesDef, seriesName } from "../../../worker/protocol/index.ts";
import type { Viewer } from "../helpers.ts";

/**
 * Reads a viewer's stream as a client must: series definitions by id, and per shard the seq it has applied. A frame
 * wholly at or before it is a repeat; one that starts at or before it and ends after would mix old and new points.
 * Keeps every series' values in arrival order, so a test checks exactly-once and order per series.
 */
export class StreamCheck {
  readonly viewer: Viewer;
  readonly values = new Map<string, number[]>();
  readonly positions = new Map<number, { epoch: number; seq: number }>();
  repeats = 0;
  private readonly names = new Map<number, string>();
  private taken = 0;
  private readonly everything: boolean;

  /** `everything`: the viewer watches every series, so each batch reaches it and a skipped seq is a gap. */
  constructor(viewer: Viewer, everything = true) {
    this.viewer = viewer;
    this.everything = everything;
  }

  private learn(series: SeriesDef[]): void {
    for (const def of series) this.names.set(def.id, seriesName(def));
  }

  /** Applies everything received since the last call. */
  drain(): void {
    for (; this.taken < this.viewer.received.length; this.taken++) {
      const item = this.viewer.received[this.taken]!;
      if (item.kind === "message") {
        const { message } = item;
        if (message.type === "snapshot" || message.type === "series") this.learn(message.series);
        if (message.type === "reset") throw new Error(`unexpected reset: ${message.reason}`);
        if (message.type === "snapshot" || message.type === "hello") {
          for (const { sid, epoch, seq } of message.positions)
            if (!this.positions.has(sid)) this.positions.set(sid, { epoch, seq });
        }
        continue;
      }
      const { frame } = item;
      const at = this.positions.get(frame.sid);
      if (at && at.epoch === frame.epoch && frame.toSeq <= at.seq) {
        this.repeats++;
        continue;
      }
      expect(
        at && at.epoch === frame.epoch && frame.fromSeq <= at.seq,
        `a frame overlaps what was applied: ${JSON.stringify({ at, sid: frame.sid, from: frame.fromSeq, to: frame.toSeq, n: this.taken })}`,
      ).toBe(false);
      if (this.everything && at && at.epoch === frame.epoch)
        expect(frame.fromSeq, `a gap in shard ${frame.sid}'s stream`).toBe(at.seq + 1);
      this.positions.set(frame.sid, { epoch: frame.epoch, seq: frame.toSeq });
      for (const group of frame.groups) {
        const name = this.names.get(group.seriesId);
        expect(name, `frame names unannounced series ${group.seriesId}`).toBeDefined();
        const list = this.values.get(name!) ?? [];
        list.push(...group.values);
        this.values.set(name!, list);
      }
    }
  }

  /** Waits until `done` holds of what was applied. */
  async until(done: (check: StreamCheck) => boolean, timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      this.drain();
      if (done(this)) return;
      if (this.viewer.closed)
        throw new Error(`viewer closed ${this.viewer.closed.code} ${this.viewer.closed.reason}`);
      if (Date.now() > deadline) {
        const counts = [...this.values].map(([name, values]) => `${name}:${values.join(",")}`).join(" ");
        throw new Error(
          `stream did not get there in time; repeats ${this.repeats} positions ${JSON.stringify([...this.positions])}; ${counts}`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }
}
