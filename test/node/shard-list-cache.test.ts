import { describe, expect, it } from "vitest";
import { ShardListCache } from "../../worker/prometheus/shard-list.ts";

/** A hub's answers, counted: `sids` is what it answers now. */
function hub(sids: number[]) {
  const asked = { count: 0, sids };
  const fetch = async () => {
    asked.count++;
    return [...asked.sids];
  };
  return { asked, fetch };
}

describe("a board's shard list kept in the Worker isolate", () => {
  const LAYOUT = [6, 7, 8, 9]; // the 4 shards of a layout of 4

  it("is asked of the hub once and reused for queries within the TTL", async () => {
    const cache = new ShardListCache(10_000);
    const { asked, fetch } = hub(LAYOUT);
    expect(await cache.get("b", LAYOUT, fetch, 0)).toEqual(LAYOUT);
    expect(await cache.get("b", LAYOUT, fetch, 9_999)).toEqual(LAYOUT);
    expect(asked.count).toBe(1);
  });

  it("is asked again once the TTL passed, and then holds the shards another layout added meanwhile", async () => {
    const cache = new ShardListCache(10_000);
    const { asked, fetch } = hub(LAYOUT);
    await cache.get("b", LAYOUT, fetch, 0);
    asked.sids = [0, ...LAYOUT];
    expect(await cache.get("b", LAYOUT, fetch, 10_000)).toEqual([0, ...LAYOUT]);
    expect(asked.count).toBe(2);
  });

  it("is asked again at once when it lacks a shard of this isolate's own layout (a deploy changed the count)", async () => {
    const cache = new ShardListCache(10_000);
    const { asked, fetch } = hub([0]);
    await cache.get("b", [0], fetch, 0);
    asked.sids = [0, ...LAYOUT];
    expect(await cache.get("b", LAYOUT, fetch, 1)).toEqual([0, ...LAYOUT]);
    expect(await cache.get("b", LAYOUT, fetch, 2)).toEqual([0, ...LAYOUT]);
    expect(asked.count).toBe(2);
  });

  it("keeps each board's list apart, at most the given number of boards, and keeps nothing when the hub fails", async () => {
    const cache = new ShardListCache(10_000, 2);
    const { asked, fetch } = hub([0]);
    await cache.get("a", [0], fetch, 0);
    await cache.get("b", [0], fetch, 0);
    await cache.get("c", [0], fetch, 0); // "a" goes
    await cache.get("b", [0], fetch, 1);
    expect(asked.count).toBe(3);
    await cache.get("a", [0], fetch, 1);
    expect(asked.count).toBe(4);
    const failing = () => Promise.reject(new Error("hub unavailable"));
    await expect(cache.get("d", [0], failing, 2)).rejects.toThrow("hub unavailable");
    await cache.get("d", [0], fetch, 3);
    expect(asked.count).toBe(5);
  });
});
