import { evictDurableObject, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { HistoryResult } from "../../worker/protocol/index.ts";
import { encodeBatch } from "../../worker/shard/batch-codec.ts";
import { chooseResolution } from "../../worker/shard/history.ts";
import type { ShardObject } from "../../worker/shard/shard-object.ts";
import { seededRandom } from "../seeded-random.ts";
import { answer, freshBoard, ingest, request, shardStub, token } from "./helpers.ts";

interface Point {
  device: string;
  metric: string;
  ts: number;
  value: number;
}

const DEVICES = ["dev-a", "dev-b"];
const METRICS = ["temp", "load"];

/** Random points over the last `spanMs`, with repeated timestamps to exercise first/last tie rules. */
function randomPoints(seed: number, count: number, spanMs: number, now: number): Point[] {
  const r = seededRandom(seed);
  return Array.from({ length: count }, () => ({
    device: DEVICES[Math.floor(r() * DEVICES.length)]!,
    metric: METRICS[Math.floor(r() * METRICS.length)]!,
    ts: now - 1000 - Math.floor((r() * spanMs) / 250) * 250,
    value: Math.round((r() - 0.3) * 10_000) / 100,
  }));
}

/** Posts points in arrival order, grouped by device into batches of up to `batchSize`. */
async function post(board: string, points: Point[], batchSize: number): Promise<void> {
  for (const device of DEVICES) {
    const mine = points.filter((p) => p.device === device);
    const deviceToken = await token("device", board, device);
    for (let i = 0; i < mine.length; i += batchSize) {
      const batch = mine.slice(i, i + batchSize).map(({ metric, ts, value }) => ({ metric, ts, value }));
      expect((await ingest(deviceToken, { points: batch })).status).toBe(202);
    }
  }
}

/** What a correct answer must be: aggregates computed from scratch over the points in arrival order. */
function bruteForce(points: Point[], device: string, metric: string, from: number, to: number, step: number) {
  const buckets = new Map<
    number,
    { count: number; sum: number; min: number; max: number; lastTs: number; last: number }
  >();
  const arrival = DEVICES.flatMap((d) => points.filter((p) => p.device === d));
  for (const p of arrival) {
    if (p.device !== device || p.metric !== metric || p.ts < from || p.ts >= to) continue;
    const start = p.ts - (p.ts % step);
    const b = buckets.get(start);
    if (!b)
      buckets.set(start, { count: 1, sum: p.value, min: p.value, max: p.value, lastTs: p.ts, last: p.value });
    else {
      b.count++;
      b.sum += p.value;
      b.min = Math.min(b.min, p.value);
      b.max = Math.max(b.max, p.value);
      if (p.ts >= b.lastTs) {
        b.lastTs = p.ts;
        b.last = p.value;
      }
    }
  }
  const sorted = [...buckets].sort((a, b) => a[0] - b[0]);
  return {
    ts: sorted.map(([t]) => t),
    count: sorted.map(([, b]) => b.count),
    min: sorted.map(([, b]) => b.min),
    max: sorted.map(([, b]) => b.max),
    last: sorted.map(([, b]) => b.last),
    avg: sorted.map(([, b]) => b.sum / b.count),
  };
}

async function query(
  board: string,
  params: string,
): Promise<{ status: number; body: HistoryResult & { error?: { code: string; path: string } } }> {
  const viewer = await token("viewer", board);
  return answer(
    request(`/api/v1/boards/${board}/query?${params}`, { headers: { authorization: `Bearer ${viewer}` } }),
  );
}

async function expectMatchesBruteForce(
  board: string,
  points: Point[],
  from: number,
  to: number,
  step: number,
) {
  const series = DEVICES.flatMap((d) => METRICS.map((m) => `${d}:${m}`)).join(",");
  const { status, body } = await query(board, `series=${series}&from=${from}&to=${to}&step=${step}`);
  expect(status).toBe(200);
  expect(body.step).toBe(step);
  for (const got of body.series) {
    const want = bruteForce(points, got.device, got.metric, body.from, to, step);
    expect({ ts: got.ts, count: got.count, min: got.min, max: got.max, last: got.last }).toEqual({
      ts: want.ts,
      count: want.count,
      min: want.min,
      max: want.max,
      last: want.last,
    });
    for (const [i, avg] of got.avg.entries()) expect(avg).toBeCloseTo(want.avg[i]!, 6);
  }
  return body;
}

describe("rollups", () => {
  for (const seed of [11, 23, 37]) {
    it(`match a brute-force reference at raw, 1 s, 1 min and 1 h resolutions (seed ${seed})`, async () => {
      const board = freshBoard();
      const now = Date.now();
      const points = randomPoints(seed, 1500, 5 * 3_600_000, now);
      await post(board, points, 97);
      const end = now + 1;
      expect((await expectMatchesBruteForce(board, points, end - 1_800_000, end, 1000)).resolution).toBe(
        "1s",
      );
      expect((await expectMatchesBruteForce(board, points, end - 1_800_000, end, 5000)).resolution).toBe(
        "1s",
      );
      expect(
        (await expectMatchesBruteForce(board, points, end - 6 * 3_600_000, end, 60_000)).resolution,
      ).toBe("1m");
      expect(
        (await expectMatchesBruteForce(board, points, end - 6 * 3_600_000, end, 3_600_000)).resolution,
      ).toBe("1h");
      expect((await expectMatchesBruteForce(board, points, end - 60_000, end, 250)).resolution).toBe("raw");
    });
  }

  it("are rebuilt exactly from stored chunks and the log after an eviction, without double counting", async () => {
    const board = freshBoard();
    const now = Date.now();
    const points = randomPoints(5, 1200, 3 * 3_600_000, now);
    await post(board, points.slice(0, 600), 50);
    const end = now + 1;
    await expectMatchesBruteForce(board, points.slice(0, 600), end - 4 * 3_600_000, end, 60_000);
    // The first half goes to stored chunks; the second half, landing in chunks read back from storage, lives only
    // in memory and the log until the eviction.
    await runInDurableObject(shardStub(board), (instance: ShardObject) => instance.checkpoint());
    await post(board, points.slice(600), 50);
    const before = await expectMatchesBruteForce(board, points, end - 4 * 3_600_000, end, 60_000);
    await evictDurableObject(shardStub(board));
    const after = await expectMatchesBruteForce(board, points, end - 4 * 3_600_000, end, 60_000);
    expect(after).toEqual(before);
  });
});

describe("GET /api/v1/boards/:board/query", () => {
  it("picks the coarsest resolution that fits the step and still covers the range", () => {
    const now = Date.now();
    const hourAgo = now - 3_600_000;
    const weekAgo = now - 7 * 86_400_000;
    expect(chooseResolution(250, hourAgo, now)).toEqual({ resolution: -1, step: 250 });
    expect(chooseResolution(1000, hourAgo, now)).toEqual({ resolution: 0, step: 1000 });
    expect(chooseResolution(59_000, hourAgo, now)).toEqual({ resolution: 0, step: 59_000 });
    expect(chooseResolution(60_000, hourAgo, now)).toEqual({ resolution: 1, step: 60_000 });
    expect(chooseResolution(90_000, hourAgo, now)).toEqual({ resolution: 1, step: 120_000 });
    expect(chooseResolution(5_400_000, weekAgo, now)).toEqual({ resolution: 2, step: 7_200_000 });
    expect(chooseResolution(7_200_000, weekAgo, now)).toEqual({ resolution: 2, step: 7_200_000 });
    // Nothing both fits a 1.5 s step and covers a week: the finest rollup that covers it serves, its step widened.
    expect(chooseResolution(1500, weekAgo, now)).toEqual({ resolution: 1, step: 60_000 });
    expect(chooseResolution(43_200, now - 86_400_000, now)).toEqual({ resolution: 1, step: 60_000 });
    expect(chooseResolution(60_000, now - 400 * 86_400_000, now)).toEqual({ resolution: 2, step: 3_600_000 });
  });

  it("takes relative times and durations, and several series in one request", async () => {
    const board = freshBoard();
    await ingest(await token("device", board, "d"), { metrics: { a: 1, b: 2 } });
    const { status, body } = await query(board, "device=d&metric=a&metric=b&from=-5m&to=now&step=1m");
    expect(status).toBe(200);
    expect(body.positions).toMatchObject([{ sid: 0, seq: 1 }]);
    expect(body.resolution).toBe("1m");
    expect(body.series.map((s) => [s.metric, s.count.reduce((x, y) => x + y, 0)])).toEqual([
      ["a", 1],
      ["b", 1],
    ]);
  });

  it("takes RFC 3339 times, in UTC or with an offset, as the ms they stand for", async () => {
    const board = freshBoard();
    const start = Math.floor(Date.now() / 60_000) * 60_000 - 120_000;
    const points = [0, 1000, 2000].map((offset, i) => ({ metric: "temp", value: i, ts: start + offset }));
    expect((await ingest(await token("device", board, "d"), { points })).status).toBe(202);
    const inMs = await query(board, `series=d:temp&from=${start}&to=${start + 2000}&step=1s`);
    // +01:00 written as a query string carries it (%2B), and as a plain + (which the query string reads as a space).
    const inUtc = new Date(start).toISOString();
    const inParis = new Date(start + 3_600_000 + 2000).toISOString().replace("Z", "+01:00");
    for (const to of [encodeURIComponent(inParis), inParis]) {
      const rfc3339 = await query(board, `series=d:temp&from=${inUtc}&to=${to}&step=1s`);
      expect(rfc3339.status).toBe(200);
      expect(rfc3339.body.series).toEqual(inMs.body.series);
    }
    expect(inMs.body.series[0]?.count).toEqual([1, 1]);
  });

  it("adds a rate per second to counters, computed by the board and reading a drop as a reset", async () => {
    const board = freshBoard();
    const start = Math.floor(Date.now() / 60_000) * 60_000 - 120_000;
    const values = [10, 20, 5, 15];
    const points = values.flatMap((value, i) => [
      { metric: "requests_total", value, ts: start + i * 1000, kind: "counter" },
      { metric: "temp", value, ts: start + i * 1000 },
    ]);
    expect((await ingest(await token("device", board, "d"), { points })).status).toBe(202);
    const { body } = await query(
      board,
      `device=d&metric=requests_total&metric=temp&from=${start}&to=${start + 4000}&step=1s`,
    );
    const [counter, gauge] = body.series;
    expect(counter).toMatchObject({
      metric: "requests_total",
      kind: "counter",
      last: values,
      rate: [null, 10, 5, 10],
    });
    expect(gauge).not.toHaveProperty("rate");
  });

  it("answers a series the board does not have with empty columns", async () => {
    const board = freshBoard();
    const { status, body } = await query(board, "series=nobody:nothing&from=-1h");
    expect(status).toBe(200);
    expect(body.series).toEqual([
      { device: "nobody", metric: "nothing", ts: [], avg: [], min: [], max: [], count: [], last: [] },
    ]);
  });

  it.each([
    ["from=-1h&step=1s", "too_many_buckets", "step"],
    ["from=-1h&to=-2h", "invalid_range", "from"],
    ["from=yesterday", "invalid_time", "from"],
    ["from=2026-02-30T00:00:00Z", "invalid_time", "from"],
    ["to=2026-12-03T10:00:00", "invalid_time", "to"],
    ["from=-1h&step=0", "invalid_duration", "step"],
    ["from=-1h&step=fast", "invalid_duration", "step"],
  ])("answers 400 to %s with %s", async (params, code, path) => {
    const board = freshBoard();
    const { status, body } = await query(board, `series=d:m&${params}`);
    expect(status).toBe(400);
    expect(body.error).toMatchObject({ code, path });
  });

  it.each([
    ["", "invalid_series"],
    ["series=nocolon", "invalid_series"],
    ["device=d", "invalid_series"],
    [`series=${Array.from({ length: 101 }, (_, i) => `d:m${i}`).join(",")}`, "too_many_series"],
  ])("answers 400 to series selection %s with %s", async (params, code) => {
    const { status, body } = await query(freshBoard(), params);
    expect(status).toBe(400);
    expect(body.error?.code).toBe(code);
  });

  it("refuses a device token and a viewer of another board", async () => {
    const board = freshBoard();
    const asDevice = await answer(
      request(`/api/v1/boards/${board}/query?series=d:m`, {
        headers: { authorization: `Bearer ${await token("device", board, "d")}` },
      }),
    );
    expect(asDevice.status).toBe(403);
    const otherBoard = await answer(
      request(`/api/v1/boards/${board}/query?series=d:m`, {
        headers: { authorization: `Bearer ${await token("viewer", freshBoard())}` },
      }),
    );
    expect(otherBoard.status).toBe(403);
  });
});

describe("GET /api/v1/boards/:board/series", () => {
  it("lists device, metric, last value, points in the last minute and presence", async () => {
    const board = freshBoard();
    const device = await token("device", board, "sensor-1");
    const now = Date.now();
    await ingest(device, { points: [{ metric: "temp", value: 20, ts: now - 120_000 }] });
    await ingest(device, {
      points: [1, 2, 3].map((v) => ({ metric: "temp", value: v, ts: now - v * 1000 })),
    });
    const { status, body } = await answer(
      request(`/api/v1/boards/${board}/series`, {
        headers: { authorization: `Bearer ${await token("viewer", board)}` },
      }),
    );
    expect(status).toBe(200);
    expect(body.series).toEqual([
      {
        device: "sensor-1",
        metric: "temp",
        last: { ts: now - 1000, value: 1 },
        pointsLastMinute: 3,
        online: true,
      },
    ]);
  });
});

describe("retention", () => {
  it("deletes raw batches no new batch took over a window after they expired, keeping rollups and latest values", async () => {
    const board = freshBoard();
    await ingest(await token("device", board, "d"), { metrics: { m: 42 } });
    const counts = await runInDurableObject(shardStub(board), async (instance: ShardObject, state) => {
      const count = (table: string) =>
        state.storage.sql.exec<{ n: number }>(`SELECT count(*) AS n FROM ${table}`).one().n;
      await instance.compact(Date.now() + 3_600_000 + 60_000);
      const kept = count("batches");
      await instance.compact(Date.now() + 2 * 3_600_000 + 60_000);
      return { kept, batches: count("batches"), chunks: count("rollup_chunks") };
    });
    // Two hours on, the 1 s chunk (kept an hour) has gone too; one chunk row each at 1 min and 1 h remains.
    expect(counts).toEqual({ kept: 1, batches: 0, chunks: 2 });
    await evictDurableObject(shardStub(board));
    const { body } = await answer(
      request(`/api/v1/boards/${board}/series`, {
        headers: { authorization: `Bearer ${await token("viewer", board)}` },
      }),
    );
    expect(body.series[0].last.value).toBe(42);
  });

  it("keeps storage bounded on a board fed for 40 simulated days", async () => {
    const board = freshBoard();
    const day = 86_400_000;
    const start = Date.now();
    const result = await runInDurableObject(shardStub(board), async (instance: ShardObject, state) => {
      const count = (table: string, where = "") =>
        state.storage.sql.exec<{ n: number }>(`SELECT count(*) AS n FROM ${table} ${where}`).one().n;
      // One point a minute for 40 days. The object trusts the Worker's validation, so a test can stamp points in the
      // future and move the board's clock by passing `now` to compact, as the alarm does with the real clock.
      for (let d = 0; d < 40; d++) {
        const ts = Float64Array.from({ length: 1440 }, (_, i) => start + d * day + i * 60_000);
        const values = Float64Array.from(ts, (_, i) => i);
        await instance.ingest({
          principal: "device:d",
          points: {
            series: [{ device: "d", metric: "m", labels: "" }],
            seriesIndex: new Uint16Array(1440),
            ts,
            values,
          },
        });
        await instance.compact(start + (d + 1) * day);
      }
      return {
        raw: count("batches"),
        s1: count("rollup_chunks", "WHERE res = 0"),
        m1: count("rollup_chunks", "WHERE res = 1"),
        h1: count("rollup_chunks", "WHERE res = 2"),
        size: state.storage.sql.databaseSize,
      };
    });
    // 1 s chunks (1 min each, one bucket here) keep an hour, 1 min chunks (1 h) 8 days, 1 h chunks (1 day) a year.
    expect(result.raw).toBe(0);
    expect(result.s1).toBeLessThanOrEqual(61);
    expect(result.m1).toBeGreaterThanOrEqual(8 * 24 - 1);
    expect(result.m1).toBeLessThanOrEqual(8 * 24 + 1);
    expect(result.h1).toBeGreaterThanOrEqual(40);
    expect(result.h1).toBeLessThanOrEqual(41);
    // The README's bound: 57 bytes per stored bucket, about 100 bytes per row, and fixed overhead.
    const buckets = result.s1 + result.m1 * 60 + result.h1 * 24;
    expect(result.size).toBeLessThan(buckets * 57 + (result.s1 + result.m1 + result.h1) * 100 + 1024 * 1024);
  }, 30_000);
});

/** The layout boards were written with before rollup chunks (schema 1), as a fixture for the conversion. */
const SCHEMA_1 = `
DROP TABLE rollup_chunks; DROP TABLE checkpoint; DROP TABLE series; DROP TABLE batches; DELETE FROM meta;
CREATE TABLE batches (seq INTEGER PRIMARY KEY, received_at INTEGER NOT NULL, points INTEGER NOT NULL,
  min_ts INTEGER NOT NULL, max_ts INTEGER NOT NULL, body BLOB NOT NULL);
CREATE TABLE series (id INTEGER PRIMARY KEY, device TEXT NOT NULL, metric TEXT NOT NULL, last_ts INTEGER,
  last_value REAL, UNIQUE (device, metric));
CREATE TABLE rollups (res INTEGER NOT NULL, series INTEGER NOT NULL, bucket INTEGER NOT NULL, count INTEGER NOT NULL,
  sum REAL NOT NULL, min REAL NOT NULL, max REAL NOT NULL, first_ts INTEGER NOT NULL, first REAL NOT NULL,
  last_ts INTEGER NOT NULL, last REAL NOT NULL, PRIMARY KEY (res, series, bucket)) WITHOUT ROWID;
CREATE TABLE devices (device TEXT PRIMARY KEY, last_seen INTEGER NOT NULL, online INTEGER NOT NULL);`;

describe("boards stored with the earlier layout", () => {
  it("are converted on their first wake and answer exactly as before, log replay included", async () => {
    const board = freshBoard();
    const now = Date.now();
    const points = randomPoints(7, 800, 5 * 3_600_000, now);
    const series = DEVICES.flatMap((device) => METRICS.map((metric) => ({ device, metric })));
    const idOf = (p: Point) => series.findIndex((s) => s.device === p.device && s.metric === p.metric);
    // Arrival order as `post` sends them; the first half was checkpointed into old rollup rows, the rest only logged.
    const arrival = DEVICES.flatMap((d) => points.filter((p) => p.device === d));
    const [folded, logged] = [arrival.slice(0, 400), arrival.slice(400)];
    await runInDurableObject(shardStub(board), (_instance, state) => {
      const sql = state.storage.sql;
      sql.exec(SCHEMA_1);
      sql.exec(
        "INSERT INTO meta (key, value) VALUES ('epoch', 77), ('checkpoint_seq', 1), ('raw_points', 400)",
      );
      series.forEach((s, id) => {
        sql.exec("INSERT INTO series (id, device, metric) VALUES (?, ?, ?)", id, s.device, s.metric);
      });
      for (const [res, width] of [1000, 60_000, 3_600_000].entries()) {
        const rows = new Map<string, number[]>();
        for (const p of folded) {
          const bucket = p.ts - (p.ts % width);
          const row = rows.get(`${idOf(p)}/${bucket}`);
          if (!row)
            rows.set(`${idOf(p)}/${bucket}`, [
              res,
              idOf(p),
              bucket,
              1,
              p.value,
              p.value,
              p.value,
              p.ts,
              p.value,
              p.ts,
              p.value,
            ]);
          else {
            row[3]! += 1;
            row[4]! += p.value;
            row[5] = Math.min(row[5]!, p.value);
            row[6] = Math.max(row[6]!, p.value);
            if (p.ts < row[7]!) [row[7], row[8]] = [p.ts, p.value];
            if (p.ts >= row[9]!) [row[9], row[10]] = [p.ts, p.value];
          }
        }
        for (const row of rows.values())
          sql.exec(`INSERT INTO rollups VALUES (${row.map(() => "?").join(",")})`, ...row);
      }
      const latest = series.map((_, id) =>
        folded
          .filter((p) => idOf(p) === id)
          .sort((a, b) => a.ts - b.ts)
          .at(-1),
      );
      latest.forEach((p, id) => {
        if (p) sql.exec("UPDATE series SET last_ts = ?, last_value = ? WHERE id = ?", p.ts, p.value, id);
      });
      sql.exec("INSERT INTO devices VALUES ('dev-a', ?, 1), ('dev-b', ?, 1)", now, now);
      const batch = (part: Point[]) =>
        encodeBatch({
          seriesIds: Uint32Array.from(part, idOf),
          ts: Float64Array.from(part, (p) => p.ts),
          values: Float64Array.from(part, (p) => p.value),
        });
      for (const [seq, part] of [
        [1, folded],
        [2, logged],
      ] as const) {
        sql.exec(
          "INSERT INTO batches (seq, received_at, points, min_ts, max_ts, body) VALUES (?, ?, ?, ?, ?, ?)",
          seq,
          now,
          part.length,
          Math.min(...part.map((p) => p.ts)),
          Math.max(...part.map((p) => p.ts)),
          batch(part),
        );
      }
    });
    await evictDurableObject(shardStub(board));
    const end = now + 1;
    const answered = await expectMatchesBruteForce(board, points, end - 6 * 3_600_000, end, 60_000);
    expect(answered).toMatchObject({ positions: [{ sid: 0, epoch: 77, seq: 2 }] });
    await expectMatchesBruteForce(board, points, end - 1_800_000, end, 5000);
    await expectMatchesBruteForce(board, points, end - 6 * 3_600_000, end, 3_600_000);
    const { body } = await answer(
      request(`/api/v1/boards/${board}/series`, {
        headers: { authorization: `Bearer ${await token("viewer", board)}` },
      }),
    );
    for (const s of body.series) {
      const mine = arrival.filter((p) => p.device === s.device && p.metric === s.metric);
      const newest = Math.max(...mine.map((p) => p.ts));
      expect(s.last).toEqual({ ts: newest, value: mine.filter((p) => p.ts === newest).at(-1)!.value });
    }
    const tables = await runInDurableObject(shardStub(board), (_instance, state) =>
      state.storage.sql
        .exec<{ name: string }>("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
        .toArray()
        .map((t) => t.name),
    );
    expect(tables).not.toContain("rollups");
    expect(tables).not.toContain("devices");
  });
});
