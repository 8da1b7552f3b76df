import type { ShardPosition } from "../protocol/index.ts";
import type { ReplayAnswer } from "../shard/shard-api.ts";
import type { ShardBatches } from "./mirror.ts";

/** Reads a shard's logged batches (series ids board-wide): the shard's `readBatches`, over RPC. */
export interface ReplaySource {
  read(
    sid: number,
    epoch: number,
    afterSeq: number,
    throughSeq: number,
    maxPoints: number,
  ): Promise<ReplayAnswer>;
}

/** A replay or a gap longer than this answers `reset`: clients reload history instead. */
export const MAX_REPLAY_POINTS = 200_000;

/**
 * Makes a shard's incoming batches follow on from `queued`, what viewers were sent or will be at the next flush
 * (undefined for a shard they know nothing of): drops the ones already there, and reads from the shard's log the ones
 * a push skipped (a failed push, a restart on either side), up to `lastSeq`. Returns the batches to send, in order,
 * or "reset" when they cannot follow on (the shard's history was replaced, or the gap is too long to replay).
 * Pushes of one shard come one at a time, so this never races with itself.
 */
export async function continuing(
  replay: ReplaySource,
  queued: ShardPosition | undefined,
  incoming: ShardBatches,
  lastSeq: number,
): Promise<ShardBatches | "reset"> {
  const { sid, epoch } = incoming;
  const sent = queued ?? { sid, epoch, seq: 0 };
  if (sent.epoch !== epoch) return "reset";
  const fresh = incoming.batches.filter((b) => b.seq > sent.seq);
  const through = Math.max(lastSeq, fresh.at(-1)?.seq ?? 0);
  const batches: ShardBatches["batches"] = [];
  let next = sent.seq + 1;
  for (const batch of fresh) {
    if (batch.seq > next) {
      const gap = await replay.read(sid, epoch, next - 1, batch.seq - 1, MAX_REPLAY_POINTS);
      if (gap.gone) return "reset";
      batches.push(...gap.batches);
    }
    batches.push(batch);
    next = batch.seq + 1;
  }
  if (through >= next) {
    const tail = await replay.read(sid, epoch, next - 1, through, MAX_REPLAY_POINTS);
    if (tail.gone) return "reset";
    batches.push(...tail.batches);
  }
  return { sid, epoch, batches };
}
