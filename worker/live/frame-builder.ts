import { encodeFrame, type FramePoints } from "../protocol/index.ts";
import type { StoredBatch } from "../shard/batch-codec.ts";

export interface SequencedBatch {
  seq: number;
  batch: StoredBatch;
}

/** Which series a subscription wants; `null` means every series. */
export type SeriesFilter = ReadonlySet<number> | null;

/**
 * Encodes the points of one shard's consecutive batches that pass `filter` as one binary frame, or returns null when
 * none do. Points keep their batch order within each series.
 */
export function buildFrame(
  sid: number,
  epoch: number,
  batches: SequencedBatch[],
  filter: SeriesFilter,
): Uint8Array | null {
  if (batches.length === 0) return null;
  const groups = new Map<number, FramePoints>();
  for (const { batch } of batches) {
    const { seriesIds, ts, values, stale } = batch;
    for (let i = 0; i < seriesIds.length; i++) {
      const id = seriesIds[i]!;
      if (filter && !filter.has(id)) continue;
      let group = groups.get(id);
      if (!group) {
        group = { seriesId: id, ts: [], values: [] };
        groups.set(id, group);
      }
      group.ts.push(ts[i]!);
      group.values.push(values[i]!);
      if (stale?.[i] === 1) {
        group.stale ??= group.ts.map(() => false);
        group.stale[group.ts.length - 1] = true;
      } else group.stale?.push(false);
    }
  }
  if (groups.size === 0) return null;
  return encodeFrame({
    sid,
    epoch,
    fromSeq: batches[0]!.seq,
    toSeq: batches[batches.length - 1]!.seq,
    groups: [...groups.values()],
  });
}

/** Replayed frames are cut at about this many points. */
const REPLAY_FRAME_POINTS = 20_000;

/** Frames for a run of one shard's batches, each covering consecutive batches and about REPLAY_FRAME_POINTS points. */
export function replayFrames(
  sid: number,
  epoch: number,
  batches: Iterable<SequencedBatch>,
  filter: SeriesFilter,
): Uint8Array[] {
  const frames: Uint8Array[] = [];
  let chunk: SequencedBatch[] = [];
  let chunkPoints = 0;
  const emit = () => {
    const frame = buildFrame(sid, epoch, chunk, filter);
    if (frame) frames.push(frame);
    chunk = [];
    chunkPoints = 0;
  };
  for (const entry of batches) {
    chunk.push(entry);
    chunkPoints += entry.batch.ts.length;
    if (chunkPoints >= REPLAY_FRAME_POINTS) emit();
  }
  emit();
  return frames;
}
