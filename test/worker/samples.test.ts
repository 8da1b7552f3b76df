import { describe, expect, it } from "vitest";
import type { RawSamples } from "../../worker/shard/raw-samples.ts";
import { BUCKETED_POINTS, NORMAL_NAN, PER_SECOND, remoteWriteBody, STALE } from "../non-finite-samples.ts";
import {
  answer,
  evictBoard,
  framePoints,
  freshBoard,
  ingest,
  postRemoteWrite,
  request,
  shardStub,
  token,
  watching,
} from "./helpers.ts";

const MAX = 1.7976931348623157e308;
const SUBNORMAL = 5e-324;

function bitsOf(value: number): bigint {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, value, true);
  return view.getBigUint64(0, true);
}

/** A remote write body of `values` at ts `start + i * 1000`. */
function remoteWrite(metric: string, start: number, values: number[]): Uint8Array {
  return remoteWriteBody(
    metric,
    values.map((value, i) => [start + i * 1000, value]),
  );
}

async function rawSamples(board: string, ids: number[], from: number, to: number): Promise<RawSamples[]> {
  return shardStub(board).rawSamples(ids, from, to);
}

async function stats(board: string) {
  const viewer = await token("viewer", board);
  return (
    await answer(request(`/api/v1/boards/${board}/stats`, { headers: { authorization: `Bearer ${viewer}` } }))
  ).body;
}

async function history(board: string, series: string, from: number, to: number, step: number) {
  const viewer = await token("viewer", board);
  const url = `/api/v1/boards/${board}/query?series=${series}&from=${from}&to=${to}&step=${step}`;
  const { status, body } = await answer(request(url, { headers: { authorization: `Bearer ${viewer}` } }));
  expect(status).toBe(200);
  return body.series[0] as Record<string, unknown[]>;
}

async function seriesList(board: string) {
  const viewer = await token("viewer", board);
  const { body } = await answer(
    request(`/api/v1/boards/${board}/series`, { headers: { authorization: `Bearer ${viewer}` } }),
  );
  return body.series as Array<{ metric: string; last: unknown }>;
}

/** A whole second some seconds ago, so a test's points share 1 s and 1 min buckets predictably. */
function aMinuteStart(): number {
  const now = Date.now() - 180_000;
  return now - (now % 60_000);
}

describe("every sample Prometheus can send", () => {
  const values = [
    1.5,
    Number.NaN,
    Number.POSITIVE_INFINITY,
    Number.NEGATIVE_INFINITY,
    MAX,
    -MAX,
    SUBNORMAL,
    -0,
  ];

  it("stores NaN, ±Inf, the full float64 range and staleness markers from remote write, read back bit-exact with the marker flagged", async () => {
    const board = freshBoard();
    const device = await token("device", board, "d");
    const start = aMinuteStart();
    const sent = [...values, STALE, NORMAL_NAN, 7];
    expect((await postRemoteWrite(device, remoteWrite("m", start, sent))).status).toBe(204);
    const check = async () => {
      const [read] = await rawSamples(board, [0], start, start + 60_000);
      expect([...read!.timestamps]).toEqual(sent.map((_, i) => start + i * 1000));
      expect([...read!.stale!]).toEqual([0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0]);
      const bits = [...read!.values].map(bitsOf);
      // Every value but the NaNs keeps its exact bits (-0 and the subnormal included); a NaN's payload is not promised.
      expect(bits.filter((_, i) => ![1, 8, 9].includes(i))).toEqual(
        [...values, 7].filter((v) => !Number.isNaN(v)).map(bitsOf),
      );
      expect([1, 8, 9].map((i) => Number.isNaN(read!.values[i]!))).toEqual([true, true, true]);
    };
    await check();
    // Read again from what SQLite holds after the object is gone.
    await evictBoard(board);
    await check();
  });

  it("reads samples back in time order, keeping the first of equal timestamps as Prometheus's TSDB does", async () => {
    const board = freshBoard();
    const device = await token("device", board, "d");
    const start = aMinuteStart();
    await postRemoteWrite(device, remoteWrite("m", start + 2000, [3, 4]));
    await postRemoteWrite(device, remoteWrite("m", start, [1, 2, 9]));
    const [read] = await rawSamples(board, [0], start, start + 2000);
    expect([...read!.timestamps]).toEqual([start, start + 1000, start + 2000]);
    expect([...read!.values]).toEqual([1, 2, 3]);
    expect(read).not.toHaveProperty("stale");
  });

  it("keeps a series' last point through a wake when it is NaN, ±Inf or a staleness marker", async () => {
    const board = freshBoard();
    const device = await token("device", board, "d");
    const start = aMinuteStart();
    for (const [metric, sent] of [
      ["nan", [1, Number.NaN]],
      ["inf", [1, Number.NEGATIVE_INFINITY]],
      ["gone", [1, STALE]],
    ] as const) {
      expect((await postRemoteWrite(device, remoteWrite(metric, start, [...sent]))).status).toBe(204);
    }
    const expected = [
      { metric: "nan", last: { ts: start + 1000, value: "NaN" } },
      { metric: "inf", last: { ts: start + 1000, value: "-Inf" } },
      { metric: "gone", last: { ts: start + 1000, value: "NaN", stale: true } },
    ];
    const summary = async () => (await seriesList(board)).map(({ metric, last }) => ({ metric, last }));
    expect(await summary()).toEqual(expected);
    await shardStub(board).checkpoint();
    await evictBoard(board);
    expect(await summary()).toEqual(expected);
  });

  it("writes one row per remote write request carrying NaN, ±Inf and markers", async () => {
    const board = freshBoard();
    const device = await token("device", board, "d");
    const start = aMinuteStart();
    await postRemoteWrite(device, remoteWrite("m", start, [1]));
    const before = (await stats(board)).rowsWritten;
    for (let i = 1; i <= 3; i++)
      await postRemoteWrite(device, remoteWrite("m", start + i * 10_000, [Number.NaN, STALE, MAX]));
    expect((await stats(board)).rowsWritten - before).toBe(3);
  });

  it("takes OTLP NaN and ±Inf values, and a NoRecordedValue point as a staleness marker on each of its series", async () => {
    const board = freshBoard();
    const device = await token("device", board, "svc");
    const start = aMinuteStart();
    const nanos = (ms: number) => `${ms}000000`;
    const gauge = ["NaN", "Infinity", "-Infinity", MAX, SUBNORMAL].map((asDouble, i) => ({
      timeUnixNano: nanos(start + i * 1000),
      asDouble,
    }));
    const body = {
      resourceMetrics: [
        {
          resource: { attributes: [] },
          scopeMetrics: [
            {
              metrics: [
                {
                  name: "g",
                  gauge: { dataPoints: [...gauge, { timeUnixNano: nanos(start + 5000), flags: 1 }] },
                },
                {
                  name: "h",
                  histogram: {
                    aggregationTemporality: 2,
                    dataPoints: [
                      { timeUnixNano: nanos(start), count: "2", sum: 3 },
                      { timeUnixNano: nanos(start + 1000), flags: 1, count: "0", sum: 0 },
                    ],
                  },
                },
              ],
            },
          ],
        },
      ],
    };
    const response = await request("/v1/metrics", {
      method: "POST",
      headers: { authorization: `Bearer ${device}`, "content-type": "application/json" },
      body: JSON.stringify(body),
    });
    expect((await answer(response)).body).toEqual({});
    const [g, count, sum] = await rawSamples(board, [0, 1, 2], start, start + 60_000);
    expect([...g!.values]).toEqual([
      Number.NaN,
      Number.POSITIVE_INFINITY,
      Number.NEGATIVE_INFINITY,
      MAX,
      SUBNORMAL,
      Number.NaN,
    ]);
    expect([...g!.stale!]).toEqual([0, 0, 0, 0, 0, 1]);
    expect([...count!.values, ...count!.stale!]).toEqual([2, Number.NaN, 0, 1]);
    expect([...sum!.values, ...sum!.stale!]).toEqual([3, Number.NaN, 0, 1]);
  });

  it("takes line protocol floats across the float64 range, and refuses NaN, Inf and overflowing literals as InfluxDB does", async () => {
    const board = freshBoard();
    const device = await token("device", board, "edge");
    const start = aMinuteStart();
    const write = (lines: string) =>
      request(`/api/v2/write?bucket=${board}&precision=ms`, {
        method: "POST",
        headers: { authorization: `Token ${device}` },
        body: lines,
      });
    const lines = [
      `m value=1.7976931348623157e308 ${start}`,
      `m value=-1e308 ${start + 1}`,
      `m value=5e-324 ${start + 2}`,
    ];
    expect((await write(lines.join("\n"))).status).toBe(204);
    const [read] = await rawSamples(board, [0], start, start + 10);
    expect([...read!.values]).toEqual([MAX, -1e308, SUBNORMAL]);
    for (const [value, message] of [
      ["NaN", /invalid field value "NaN"/],
      ["inf", /invalid field value "inf"/],
      ["1e309", /value must be a finite number/],
    ] as const) {
      const refused = await write(`m value=${value} ${start + 5}`);
      expect(refused.status).toBe(400);
      expect((await refused.json<{ message: string }>()).message).toMatch(message);
    }
  });

  it("takes any finite JSON value, 1e308 included, and still refuses what JSON cannot hold as a number", async () => {
    const board = freshBoard();
    const device = await token("device", board, "d");
    const ts = aMinuteStart();
    const accepted = await answer(
      ingest(device, {
        points: [
          { metric: "m", value: 1e308, ts },
          { metric: "m", value: -MAX, ts: ts + 1 },
        ],
      }),
    );
    expect(accepted.status).toBe(202);
    const [read] = await rawSamples(board, [0], ts, ts + 1);
    expect([...read!.values]).toEqual([1e308, -MAX]);
    for (const value of [null, "NaN", "Infinity"]) {
      const refused = await answer(ingest(device, { points: [{ metric: "m", value, ts }] }));
      expect(refused.body.error).toMatchObject({ code: "invalid_value", path: "points[0].value" });
    }
  });
});

describe("rollups of non-finite values", () => {
  it("follow Prometheus's *_over_time per bucket, leave markers out, and keep a NaN to its own bucket, through a checkpoint", async () => {
    const board = freshBoard();
    const device = await token("device", board, "d");
    const start = aMinuteStart();
    for (const [offset, value] of BUCKETED_POINTS)
      expect((await postRemoteWrite(device, remoteWrite("m", start + offset, [value]))).status).toBe(204);
    // The next minute is all finite: a NaN in the first must not reach it.
    await postRemoteWrite(device, remoteWrite("m", start + 60_000, [10, 20]));
    const perSecond = {
      ts: [0, 1000, 2000, 3000, 4000, 60_000, 61_000].map((o) => start + o),
      count: [...PER_SECOND.count, 1, 1],
      avg: [...PER_SECOND.avg, 10, 20],
      min: [...PER_SECOND.min, 10, 20],
      max: [...PER_SECOND.max, 10, 20],
      last: [...PER_SECOND.last, 10, 20],
    };
    const perMinute = {
      count: [9, 2],
      avg: ["NaN", 15],
      min: ["-Inf", 10],
      max: ["+Inf", 20],
      last: [4, 20],
    };
    const check = async () => {
      const seconds = await history(board, "d:m", start, start + 120_000, 1000);
      expect(seconds).toMatchObject(perSecond);
      expect(await history(board, "d:m", start, start + 120_000, 60_000)).toMatchObject(perMinute);
    };
    await check();
    await shardStub(board).checkpoint();
    await evictBoard(board);
    await check();
    // Sub-second steps read the raw log and follow the same rules.
    const raw = await history(board, "d:m", start, start + 5000, 500);
    expect(raw).toMatchObject(PER_SECOND);
  });
});

describe("live frames", () => {
  it("carry NaN, ±Inf, the float64 extremes and staleness markers to viewers", async () => {
    const board = freshBoard();
    const device = await token("device", board, "d");
    const start = aMinuteStart();
    await postRemoteWrite(device, remoteWrite("m", start, [1]));
    await watching(board, async (viewer) => {
      const sent = [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, MAX, SUBNORMAL, STALE];
      expect((await postRemoteWrite(device, remoteWrite("m", start + 1000, sent))).status).toBe(204);
      const frame = await viewer.nextFrame();
      expect(framePoints(frame).map(([, , value]) => value)).toEqual([...sent.slice(0, 5), Number.NaN]);
      expect(frame.groups[0]!.stale).toEqual([false, false, false, false, false, true]);
    });
  });
});

describe("alert rules", () => {
  it("compare NaN and ±Inf by IEEE rules (as Prometheus's `m > 90` does), and pass over staleness markers", async () => {
    const board = freshBoard();
    const admin = await token("admin", board);
    const rule = { name: "hot", series: "d:m", op: ">", threshold: 90 };
    const created = await request(`/api/v1/boards/${board}/alerts`, {
      method: "POST",
      headers: { authorization: `Bearer ${admin}`, "content-type": "application/json" },
      body: JSON.stringify(rule),
    });
    expect(created.status).toBe(201);
    const device = await token("device", board, "d");
    const start = aMinuteStart();
    for (const [i, value] of [Number.POSITIVE_INFINITY, STALE, Number.NaN, 95].entries())
      expect((await postRemoteWrite(device, remoteWrite("m", start + i * 1000, [value]))).status).toBe(204);
    const { body } = await answer(
      request(`/api/v1/boards/${board}/alerts/events?from=0`, {
        headers: { authorization: `Bearer ${admin}` },
      }),
    );
    expect(body.events.map(({ state, value }: { state: string; value: unknown }) => [state, value])).toEqual([
      ["firing", "+Inf"],
      ["resolved", "NaN"],
      ["firing", 95],
    ]);
  });
});
