import { runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { INGEST_LIMITS } from "../../worker/ingest/limits.ts";
import { MAX_SERIES_PER_SHARD } from "../../worker/shard/series-catalog.ts";
import { answer, freshBoard, ingest, request, shardStub, token } from "./helpers.ts";

function storedBatches(board: string): Promise<Array<{ seq: number; points: number }>> {
  return runInDurableObject(shardStub(board), (_instance, state) =>
    state.storage.sql
      .exec<{ seq: number; points: number }>("SELECT seq, points FROM batches ORDER BY seq")
      .toArray(),
  );
}

describe("POST /api/v1/ingest", () => {
  it("accepts a points batch with 202 and the count", async () => {
    const board = freshBoard();
    const device = await token("device", board, "sensor-1");
    const now = Date.now();
    const result = await answer(
      ingest(device, {
        points: [
          { metric: "temp_c", value: 21.5, ts: now - 1000 },
          { metric: "rh", value: 40, ts: now },
        ],
      }),
    );
    expect(result).toEqual({
      status: 202,
      body: { accepted: 2, positions: [{ sid: 0, epoch: expect.any(Number), seq: 1 }] },
    });
  });

  it("accepts the shorthand form and stamps server time when ts is absent", async () => {
    const board = freshBoard();
    const device = await token("device", board, "sensor-1");
    const before = Date.now();
    expect(await answer(ingest(device, { metrics: { temp_c: 21.5, rh: 40 } }))).toEqual({
      status: 202,
      body: { accepted: 2, positions: [{ sid: 0, epoch: expect.any(Number), seq: 1 }] },
    });
    const { body } = await answer(
      request(`/api/v1/boards/${board}/series`, {
        headers: { authorization: `Bearer ${await token("viewer", board)}` },
      }),
    );
    const series = body.series as Array<{ metric: string; last: { ts: number; value: number } }>;
    expect(series.map((s) => [s.metric, s.last.value]).sort()).toEqual([
      ["rh", 40],
      ["temp_c", 21.5],
    ]);
    for (const s of series) expect(s.last.ts).toBeGreaterThanOrEqual(before);
  });

  it("stores a batch durably as one log row before answering", async () => {
    const board = freshBoard();
    const device = await token("device", board, "sensor-1");
    const points = Array.from({ length: 1000 }, (_, i) => ({ metric: `m${i % 10}`, value: i }));
    expect((await ingest(device, { points })).status).toBe(202);
    expect(await storedBatches(board)).toEqual([{ seq: 1, points: 1000 }]);
  });

  const now = () => Date.now();
  const invalidBodies: Array<[string, () => unknown, number, string, string]> = [
    ["a body that is not an object", () => [1, 2], 400, "invalid_body", ""],
    ["neither points nor metrics", () => ({}), 400, "invalid_body", "points"],
    ["a field the format lacks", () => ({ values: [] }), 400, "unknown_field", "values"],
    ["an empty points array", () => ({ points: [] }), 400, "empty_batch", "points"],
    ["a point that is not an object", () => ({ points: [5] }), 400, "invalid_point", "points[0]"],
    [
      "a metric name with a space",
      () => ({
        points: [
          { metric: "ok", value: 1 },
          { metric: "bad name", value: 1 },
        ],
      }),
      400,
      "invalid_metric",
      "points[1].metric",
    ],
    [
      "a metric name starting with a digit",
      () => ({ points: [{ metric: "1x", value: 1 }] }),
      400,
      "invalid_metric",
      "points[0].metric",
    ],
    [
      "a metric name of 129 chars",
      () => ({ points: [{ metric: "m".repeat(129), value: 1 }] }),
      400,
      "invalid_metric",
      "points[0].metric",
    ],
    [
      "a string value",
      () => ({ points: [{ metric: "m", value: "1" }] }),
      400,
      "invalid_value",
      "points[0].value",
    ],
    [
      "a null value (JSON has no NaN)",
      () => ({ points: [{ metric: "m", value: null }] }),
      400,
      "invalid_value",
      "points[0].value",
    ],
    [
      "a ts that is not an integer",
      () => ({ points: [{ metric: "m", value: 1, ts: now() + 0.5 }] }),
      400,
      "invalid_ts",
      "points[0].ts",
    ],
    [
      "a ts more than 7 days old",
      () => ({ points: [{ metric: "m", value: 1, ts: now() - INGEST_LIMITS.maxPastMs - 60_000 }] }),
      400,
      "ts_out_of_range",
      "points[0].ts",
    ],
    [
      "a ts more than 5 minutes ahead",
      () => ({ points: [{ metric: "m", value: 1, ts: now() + INGEST_LIMITS.maxFutureMs + 60_000 }] }),
      400,
      "ts_out_of_range",
      "points[0].ts",
    ],
    [
      "a shorthand with a bad value",
      () => ({ metrics: { ok: 1, bad: "x" } }),
      400,
      "invalid_value",
      "metrics.bad",
    ],
    ["a shorthand with a bad ts", () => ({ metrics: { ok: 1 }, ts: "yesterday" }), 400, "invalid_ts", "ts"],
    ["an empty shorthand", () => ({ metrics: {} }), 400, "empty_batch", "metrics"],
    [
      "more than 10,000 points",
      () => ({
        points: Array.from({ length: INGEST_LIMITS.maxPointsPerRequest + 1 }, () => ({
          metric: "m",
          value: 1,
        })),
      }),
      413,
      "too_many_points",
      "points",
    ],
  ];

  for (const [what, body, status, code, path] of invalidBodies) {
    it(`refuses ${what} with ${status} ${code} at "${path}" and stores nothing`, async () => {
      const board = freshBoard();
      const device = await token("device", board, "sensor-1");
      const result = await answer(ingest(device, body()));
      expect(result.status).toBe(status);
      expect(result.body.error).toMatchObject({ code, path });
      expect(typeof result.body.error.message).toBe("string");
      expect(await storedBatches(board)).toEqual([]);
    });
  }

  it("is atomic: one bad point rejects the whole batch", async () => {
    const board = freshBoard();
    const device = await token("device", board, "sensor-1");
    expect((await ingest(device, { points: [{ metric: "m", value: 1 }] })).status).toBe(202);
    const points = Array.from({ length: 100 }, (_, i) => ({ metric: "m", value: i === 99 ? "oops" : i }));
    const result = await answer(ingest(device, { points }));
    expect(result.body.error.path).toBe("points[99].value");
    expect(await storedBatches(board)).toEqual([{ seq: 1, points: 1 }]);
  });

  it("answers 400 invalid_json to a body that is not JSON", async () => {
    const device = await token("device", freshBoard(), "sensor-1");
    const result = await answer(ingest(device, '{"points": ['));
    expect(result).toEqual({
      status: 400,
      body: { error: { code: "invalid_json", message: "body is not valid JSON", path: "body" } },
    });
  });

  it("answers 413 to a body over 1 MiB, by Content-Length or by counting", async () => {
    const device = await token("device", freshBoard(), "sensor-1");
    const big = `{"points":[],"pad":"${"x".repeat(INGEST_LIMITS.maxBodyBytes)}"}`;
    const declared = await answer(ingest(device, big));
    expect(declared.status).toBe(413);
    expect(declared.body.error.code).toBe("payload_too_large");
    const stream = new Blob([big]).stream();
    const counted = await answer(
      request("/api/v1/ingest", {
        method: "POST",
        headers: { authorization: `Bearer ${device}`, "content-type": "application/json" },
        body: stream,
        duplex: "half",
      } as RequestInit),
    );
    expect(counted.status).toBe(413);
  });

  it("answers 415 to a body that is not declared as JSON", async () => {
    const device = await token("device", freshBoard(), "sensor-1");
    const result = await answer(ingest(device, "temp_c=1", { "content-type": "text/plain" }));
    expect(result.status).toBe(415);
    expect(result.body.error.code).toBe("unsupported_media_type");
  });

  it("answers 401 without a token, 401 with a forged one and 403 with a viewer token", async () => {
    const board = freshBoard();
    const missing = await answer(
      request("/api/v1/ingest", { method: "POST", body: JSON.stringify({ metrics: { m: 1 } }) }),
    );
    expect(missing.status).toBe(401);
    expect(missing.body.error.code).toBe("missing_token");

    const good = await token("device", board, "sensor-1");
    const forged = `${good.slice(0, -4)}AAAA`;
    const bad = await answer(ingest(forged, { metrics: { m: 1 } }));
    expect(bad.status).toBe(401);
    expect(bad.body.error.code).toBe("bad_signature");

    const viewer = await answer(ingest(await token("viewer", board), { metrics: { m: 1 } }));
    expect(viewer.status).toBe(403);
    expect(viewer.body.error.code).toBe("wrong_token_kind");
  });

  it("answers 401 to an expired device token", async () => {
    const expired = await token("device", freshBoard(), "sensor-1", Math.floor(Date.now() / 1000) - 1);
    expect((await answer(ingest(expired, { metrics: { m: 1 } }))).body.error.code).toBe("token_expired");
  });

  it("answers 405 with Allow to other methods and 404 to unknown paths, as JSON", async () => {
    const wrongMethod = await request("/api/v1/ingest");
    expect(wrongMethod.status).toBe(405);
    expect(wrongMethod.headers.get("allow")).toBe("POST");
    expect((await answer(wrongMethod)).body.error.code).toBe("method_not_allowed");
    const unknown = await answer(request("/api/v1/nothing-here"));
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.code).toBe("not_found");
  });
});

describe("series limit", () => {
  it(`refuses a batch that would pass ${MAX_SERIES_PER_SHARD} series in a shard with 422, storing nothing`, async () => {
    const board = freshBoard();
    const limit = MAX_SERIES_PER_SHARD;
    const metrics = (count: number) =>
      Array.from({ length: count }, (_, i) => ({ metric: `m${i}`, value: 1 }));
    // Five devices of up to 1,000 series each (the per-device default) fill the shard but for one series.
    for (let d = 0; d < 5; d++) {
      const device = await token("device", board, `d${d}`);
      expect((await ingest(device, { points: metrics(d === 4 ? 999 : 1000) })).status).toBe(202);
    }
    const last = await token("device", board, "d5");
    const refused = await answer(ingest(last, { points: metrics(2) }));
    expect(refused).toMatchObject({ status: 422, body: { error: { code: "series_limit", path: "points" } } });
    expect((await storedBatches(board)).map((batch) => batch.points)).toEqual([1000, 1000, 1000, 1000, 999]);
    expect((await ingest(last, { points: metrics(1) })).status).toBe(202);
    expect((await storedBatches(board)).reduce((sum, batch) => sum + batch.points, 0)).toBe(limit);
    // The refused batch's series left nothing behind: each metric's series are found once.
    const viewer = await token("viewer", board);
    const count = async (metric: string) => {
      const { body } = await answer(
        request(`/api/v1/boards/${board}/prometheus/api/v1/query?query=count(${metric})`, {
          headers: { authorization: `Bearer ${viewer}` },
        }),
      );
      return body.data.result[0].value[1];
    };
    expect([await count("m0"), await count("m1"), await count("m999")]).toEqual(["6", "5", "4"]);
  });
});
