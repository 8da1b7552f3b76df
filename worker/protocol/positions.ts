/**
 * Stream positions. A board's ingest is spread over shards, each with its own log: `seq` counts one shard's
 * accepted batches and `epoch` names that shard's history (a new one means earlier seqs are gone). A viewer's place
 * in the board's stream is the list of the shards' positions it has applied; frames name their shard, so a client
 * checks each frame against its own position (a repeat is dropped, a gap means "resume").
 */

/** Where a viewer stands in one shard's stream. */
export interface ShardPosition {
  sid: number;
  epoch: number;
  seq: number;
}

/** Where a viewer stands in a board's stream: one entry per shard it knows, by sid. */
export type StreamPosition = ShardPosition[];

/** Global series ids carry their shard: a shard numbers its own series below this. */
export const SERIES_PER_SHARD_ID_SPACE = 65_536;

export function sidOfSeries(seriesId: number): number {
  return Math.floor(seriesId / SERIES_PER_SHARD_ID_SPACE);
}

/**
 * A position as text, for URLs (`pos=`) and SSE event ids: `sid.epoch.seq` per shard, joined by `_`.
 * @example formatPosition([{ sid: 0, epoch: 7, seq: 42 }]) // "0.7.42"
 */
export function formatPosition(position: StreamPosition): string {
  return position.map(({ sid, epoch, seq }) => `${sid}.${epoch}.${seq}`).join("_");
}

/** At most this many shards in a position (a board's layouts stay far below it). */
export const MAX_POSITION_SHARDS = 1024;

/** Parses `formatPosition`'s text; null when malformed. */
export function parsePosition(text: string): StreamPosition | null {
  if (text === "") return [];
  const parts = text.split("_");
  if (parts.length > MAX_POSITION_SHARDS) return null;
  const position: StreamPosition = [];
  for (const part of parts) {
    const match = /^(\d{1,10})\.(\d{1,10})\.(\d{1,15})$/.exec(part);
    if (!match) return null;
    const [sid, epoch, seq] = [Number(match[1]), Number(match[2]), Number(match[3])];
    if (epoch > 0xffffffff || position.some((p) => p.sid === sid)) return null;
    position.push({ sid, epoch, seq });
  }
  return position.sort((a, b) => a.sid - b.sid);
}

/** A position's entry for one shard, if it has one. */
export function shardPosition(position: StreamPosition, sid: number): ShardPosition | undefined {
  return position.find((entry) => entry.sid === sid);
}

/** The position after applying a frame of shard `sid` up to `seq` (a new list; entries sorted by sid). */
export function advance(position: StreamPosition, sid: number, epoch: number, seq: number): StreamPosition {
  const rest = position.filter((entry) => entry.sid !== sid);
  return [...rest, { sid, epoch, seq }].sort((a, b) => a.sid - b.sid);
}
