import { runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { ShardObject } from "../../../worker/shard/shard-object.ts";
import { answer, evictBoard, freshBoard, ingest, request, shardStub, token } from "../helpers.ts";

/**
 * Beyond the raw window (here RAW_RETENTION_MS is 400 ms, so any selection spanning more than 800 ms) PromQL reads
 * rollups: one sample per bucket at its last point's time, valued by the aggregate the function needs, carrying
 * its count of points where the function needs it.
 */
describe("PromQL beyond the raw window", () => {
  const MINUTE = 60_000;
  const base = Math.floor(Date.now() / MINUTE) * MINUTE - 10 * MINUTE;

  /** `g` and `c_total` both equal to the seconds since `base`, a point a second for 10 minutes. */
  async function seeded(): Promise<{ board: string; viewer: string }> {
    const board = freshBoard();
    const points = Array.from({ length: 600 }, (_, i) => [
      { metric: "g", value: i, ts: base + i * 1000 },
      { metric: "c_total", value: i, ts: base + i * 1000 },
    ]).flat();
    expect((await ingest(await token("device", board, "d"), { points })).status).toBe(202);
    return { board, viewer: await token("viewer", board) };
  }

  async function rangeQuery(board: string, viewer: string, query: string) {
    const params = new URLSearchParams({
      query,
      start: String((base + 6 * MINUTE) / 1000),
      end: String((base + 9 * MINUTE) / 1000),
      step: "60",
    });
    const response = await request(`/api/v1/boards/${board}/prometheus/api/v1/query_range?${params}`, {
      headers: { authorization: `Bearer ${viewer}` },
    });
    const { status, body } = await answer(response.clone());
    expect(status).toBe(200);
    const [series] = body.data.result as Array<{ values: Array<[number, string]> }>;
    return { source: response.headers.get("x-edgepulse-sources"), values: series!.values };
  }

  it("reads 1-minute buckets for a 1-minute step: max_over_time takes each bucket's max, up to the last bucket ending in the window", async () => {
    const { board, viewer } = await seeded();
    const { source, values } = await rangeQuery(board, viewer, "max_over_time(g[5m])");
    expect(source).toBe("1m");
    // The bucket holding the point at t ends after t, so the newest bucket in the window ends a second before t.
    expect(values).toEqual([6, 7, 8, 9].map((m) => [(base + m * MINUTE) / 1000, String(m * 60 - 1)]));
  });

  it("computes rate from each bucket's last counter value, extrapolated as Prometheus does", async () => {
    const { board, viewer } = await seeded();
    const { source, values } = await rangeQuery(board, viewer, "rate(c_total[5m])");
    expect(source).toBe("1m");
    expect(values.map(([, v]) => Number(v))).toEqual([1, 1, 1, 1]);
  });

  it("counts each bucket's points for count_over_time and weighs each bucket's mean by them for avg_over_time", async () => {
    const { board, viewer } = await seeded();
    // At 6 min the window [1 min, 6 min] holds the buckets of minutes 1 to 5 (their last points at :59), 60 points each.
    const counted = await rangeQuery(board, viewer, "count_over_time(g[5m])");
    expect(counted.source).toBe("1m");
    expect(counted.values.map(([, v]) => v)).toEqual(["300", "300", "300", "300"]);
    const averaged = await rangeQuery(board, viewer, "avg_over_time(g[5m])");
    expect(averaged.values.map(([, v]) => Number(v))).toEqual([6, 7, 8, 9].map((m) => (m - 3) * 60 + 29.5));
  });

  it("reads the same buckets from the segments a shard holds in memory as from its stored rows once it checkpointed", async () => {
    const { board, viewer } = await seeded();
    const minutes = [6, 7, 8, 9];
    const expected = {
      // The window at m minutes holds the buckets of minutes m − 5 to m − 1: points (m − 5)·60 to m·60 − 1.
      "sum_over_time(g[5m])": minutes.map((m) => String((300 * ((m - 5) * 60 + m * 60 - 1)) / 2)),
      "min_over_time(g[5m])": minutes.map((m) => String((m - 5) * 60)),
      g: minutes.map((m) => String(m * 60 - 1)),
    };
    const answers = async () => {
      const values: Record<string, string[]> = {};
      for (const query of Object.keys(expected))
        values[query] = (await rangeQuery(board, viewer, query)).values.map(([, v]) => v);
      return values;
    };
    expect(await answers()).toEqual(expected);
    await evictBoard(board);
    expect(await answers()).toEqual(expected);
  });
});

describe("PromQL over stored rollup rows asked again", () => {
  const MINUTE = 60_000;
  const HOUR = 60 * MINUTE;
  /** Two hours ago, on the hour: the 1-minute rollups' chunk of that hour is a stored row once a later one exists. */
  const old = Math.floor(Date.now() / HOUR) * HOUR - 2 * HOUR;

  /** `max_over_time(g[5m])` every 5 minutes from `from` to `to` minutes past the old hour. */
  async function maxima(board: string, viewer: string, from = 10, to = 20): Promise<string[]> {
    const params = new URLSearchParams({
      query: "max_over_time(g[5m])",
      start: String((old + from * MINUTE) / 1000),
      end: String((old + to * MINUTE) / 1000),
      step: "300",
    });
    const response = await request(`/api/v1/boards/${board}/prometheus/api/v1/query_range?${params}`, {
      headers: { authorization: `Bearer ${viewer}` },
    });
    const { status, body } = await answer(response);
    expect(status).toBe(200);
    expect(response.headers.get("x-edgepulse-sources")).toBe("1m");
    return body.data.result[0].values.map(([, v]: [number, string]) => v);
  }

  const checkpoint = (board: string) =>
    runInDurableObject(shardStub(board), (shard: ShardObject) => shard.checkpoint());

  /**
   * `g` a point a minute over the old hour, its value the minute, the next hour none, and one point in the hour
   * after, which makes the newest chunk (held in memory): the old hour's is a stored row once checkpointed.
   */
  async function seeded(): Promise<{ board: string; device: string; viewer: string }> {
    const board = freshBoard();
    const device = await token("device", board, "d");
    const points = Array.from({ length: 60 }, (_, m) => ({ metric: "g", value: m, ts: old + m * MINUTE }));
    points.push({ metric: "g", value: 0, ts: old + 2 * HOUR });
    expect((await ingest(device, { points })).status).toBe(202);
    await checkpoint(board);
    return { board, device, viewer: await token("viewer", board) };
  }

  it("answers the same again, and a late point rewritten into a row the answer came from shows at once", async () => {
    const { board, device, viewer } = await seeded();
    // At 10, 15 and 20 minutes the closed window [t − 5 min, t] holds the points of minutes t − 5 … t.
    expect(await maxima(board, viewer)).toEqual(["10", "15", "20"]);
    expect(await maxima(board, viewer)).toEqual(["10", "15", "20"]);
    // A late point into the stored hour: held in memory until the checkpoint writes the row again, then read back.
    const late = { points: [{ metric: "g", value: 100, ts: old + 12 * MINUTE + 30_000 }] };
    expect((await ingest(device, late)).status).toBe(202);
    expect(await maxima(board, viewer)).toEqual(["10", "100", "20"]);
    await checkpoint(board);
    expect(await maxima(board, viewer)).toEqual(["10", "100", "20"]);
    expect(await maxima(board, viewer)).toEqual(["10", "100", "20"]);
  });

  it("reads a row a checkpoint wrote into an hour that had none when the answer was first read", async () => {
    const { board, device, viewer } = await seeded();
    // At 50, 55 and 60 minutes the window holds the old hour's points; at 65 to 75 the empty hour's none.
    expect(await maxima(board, viewer, 50, 75)).toEqual(["50", "55", "59"]);
    expect(await maxima(board, viewer, 50, 75)).toEqual(["50", "55", "59"]);
    const late = { points: [{ metric: "g", value: 100, ts: old + HOUR + 7 * MINUTE }] };
    expect((await ingest(device, late)).status).toBe(202);
    expect(await maxima(board, viewer, 50, 75)).toEqual(["50", "55", "59", "100"]);
    await checkpoint(board);
    expect(await maxima(board, viewer, 50, 75)).toEqual(["50", "55", "59", "100"]);
  });
});
