/**
 * How a board is spread over Durable Objects: `n` ingest shards (a layout), one hub for its viewers, and relays
 * when the hub has too many. Shared by the Worker, which routes, and the objects, which name each other.
 */
import { SERIES_PER_SHARD_ID_SPACE } from "../protocol/index.ts";

/** A layout has at most this many shards (a million devices need about 250: README "Capacity"). */
export const MAX_SHARDS = 512;

/**
 * A shard's board-wide id: shard `i` of the layout of `n` shards. Layouts of different sizes never share an id, so
 * a board whose shard count changes keeps reading its older shards. The layout of one shard has id 0.
 */
export function shardSid(n: number, i: number): number {
  return (n * (n - 1)) / 2 + i;
}

/** The layout size and index of a sid. */
export function shardOfSid(sid: number): { n: number; i: number } {
  const n = Math.floor((1 + Math.sqrt(1 + 8 * sid)) / 2);
  return { n, i: sid - (n * (n - 1)) / 2 };
}

/** A series' board-wide id, from its shard and the shard's own number for it. */
export function globalSeriesId(sid: number, local: number): number {
  return sid * SERIES_PER_SHARD_ID_SPACE + local;
}

/** Object names. Board names have no `#`, so these never collide with a board; one shard keeps the board's name. */
export function shardName(board: string, sid: number): string {
  const { n, i } = shardOfSid(sid);
  return n === 1 ? board : `${board}#${n}.${i}`;
}

export function hubName(board: string): string {
  return `${board}#hub`;
}

export function relayName(board: string, index: number): string {
  return `${board}#relay.${index}`;
}

/** The board a shard, hub or relay name belongs to. */
export function boardOf(objectName: string): string {
  const hash = objectName.indexOf("#");
  return hash < 0 ? objectName : objectName.slice(0, hash);
}

/** The shard of a layout of `n` that a device's points go to: FNV-1a of its id, so it never moves within a layout. */
export function deviceShard(device: string, n: number): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < device.length; i++) {
    hash ^= device.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return shardSid(n, hash % n);
}

/** The sid of a shard, from its object name (see `shardName`). */
export function sidOfShardName(objectName: string): number {
  const match = /#(\d+)\.(\d+)$/.exec(objectName);
  return match ? shardSid(Number(match[1]), Number(match[2])) : 0;
}
