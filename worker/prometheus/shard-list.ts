/**
 * How long this isolate reuses a board's shard list before asking its hub again. The list grows only when shards
 * of another layout appear: this isolate's own layout is checked on every use (see `ShardListCache.get`), so the
 * bound is how late a query may see shards another deployment's layout created during a rollout.
 */
export const SHARD_LIST_TTL_MS = 10_000;
/** Boards whose lists one isolate keeps; the oldest entry goes first. */
export const SHARD_LIST_BOARDS = 1_024;

interface Entry {
  sids: number[];
  fetchedAt: number;
}

/**
 * The boards' shard lists as their hubs last answered (`HubObject.shardIds`), kept per isolate so a query costs no
 * round trip to the hub. A list is reused while it is younger than the TTL and holds every shard of the layout this
 * isolate routes ingest to; else the hub is asked again.
 */
export class ShardListCache {
  private readonly entries = new Map<string, Entry>();
  private readonly ttlMs: number;
  private readonly maxBoards: number;

  constructor(ttlMs = SHARD_LIST_TTL_MS, maxBoards = SHARD_LIST_BOARDS) {
    this.ttlMs = ttlMs;
    this.maxBoards = maxBoards;
  }

  /** The board's shards: the kept list when it is still good, else `fetch`'s answer (kept when it succeeds). */
  async get(
    board: string,
    layout: readonly number[],
    fetch: () => Promise<number[]>,
    now = Date.now(),
  ): Promise<number[]> {
    const entry = this.entries.get(board);
    if (entry && now - entry.fetchedAt < this.ttlMs && layout.every((sid) => entry.sids.includes(sid)))
      return entry.sids;
    const sids = await fetch();
    this.entries.delete(board);
    if (this.entries.size >= this.maxBoards) this.entries.delete(this.entries.keys().next().value!);
    this.entries.set(board, { sids, fetchedAt: now });
    return sids;
  }
}
