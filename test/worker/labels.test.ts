import { describe, expect, it } from "vitest";
import { answer, connect, framePoints, freshBoard, handshake, ingest, request, token } from "./helpers.ts";

async function viewerGet(board: string, path: string) {
  const viewer = await token("viewer", board);
  return answer(
    request(`/api/v1/boards/${board}/${path}`, { headers: { authorization: `Bearer ${viewer}` } }),
  );
}

describe("labels", () => {
  it("make separate series of one metric, listed and queried with their labels", async () => {
    const board = freshBoard();
    const device = await token("device", board, "web-1");
    const now = Date.now();
    const points = [
      { metric: "http_requests", value: 5, ts: now - 2000, labels: { route: "/a", code: "200" } },
      { metric: "http_requests", value: 1, ts: now - 2000, labels: { code: "503", route: "/a" } },
      { metric: "http_requests", value: 7, ts: now - 1000, labels: { route: "/b", code: "200" } },
      { metric: "http_requests", value: 2, ts: now - 1000 },
    ];
    expect((await ingest(device, { points })).status).toBe(202);

    const listed = (await viewerGet(board, "series")).body.series;
    expect(listed.map((s: { labels?: object }) => s.labels ?? {})).toEqual([
      { code: "200", route: "/a" },
      { code: "503", route: "/a" },
      { code: "200", route: "/b" },
      {},
    ]);

    const query = (selectors: string) =>
      viewerGet(board, `query?series=${encodeURIComponent(selectors)}&from=-1h&step=1h`);
    const errors = await query('*:http_requests{code=~"5.."}');
    expect(errors.status).toBe(200);
    expect(errors.body.series).toHaveLength(1);
    expect(errors.body.series[0]).toMatchObject({ device: "web-1", labels: { code: "503", route: "/a" } });
    expect(errors.body.series[0].count).toEqual([1]);

    const routeA = await query('web-1:http_requests{route="/a"},web-1:http_requests{code="200"}');
    expect(routeA.body.series.map((s: { count: number[] }) => s.count[0])).toEqual([1, 1, 1]);
    // A plain device:metric matches every label set of the metric.
    expect((await query("web-1:http_requests")).body.series).toHaveLength(4);
  });

  it("take one label set for every metric of the shorthand, and keep unit and kind from a series' first point", async () => {
    const board = freshBoard();
    const device = await token("device", board, "room-sensor");
    await ingest(device, { metrics: { temp: 21, rh: 40 }, labels: { room: "kitchen" } });
    await ingest(device, { points: [{ metric: "energy", value: 3, unit: "kWh", kind: "counter" }] });
    await ingest(device, { points: [{ metric: "energy", value: 4, unit: "Wh", kind: "gauge" }] });
    const listed = (await viewerGet(board, "series")).body.series;
    expect(listed).toEqual([
      expect.objectContaining({ metric: "temp", labels: { room: "kitchen" } }),
      expect.objectContaining({ metric: "rh", labels: { room: "kitchen" } }),
      expect.objectContaining({
        metric: "energy",
        unit: "kWh",
        kind: "counter",
        last: expect.objectContaining({ value: 4 }),
      }),
    ]);
  });

  it.each([
    [
      { labels: Object.fromEntries(Array.from({ length: 17 }, (_, i) => [`k${i}`, "v"])) },
      "points[0].labels",
    ],
    [{ labels: { "bad-key": "v" } }, "points[0].labels"],
    [{ labels: { k: "x".repeat(129) } }, "points[0].labels"],
    [{ labels: { k: "é".repeat(65) } }, "points[0].labels"],
    [{ labels: { k: 1 } }, "points[0].labels"],
    [{ labels: ["k", "v"] }, "points[0].labels"],
    [{ unit: "two words" }, "points[0].unit"],
    [{ kind: "histogram" }, "points[0].kind"],
  ])("refuses a point with %j naming %s, storing nothing", async (extra, path) => {
    const board = freshBoard();
    const device = await token("device", board, "d");
    const { status, body } = await answer(ingest(device, { points: [{ metric: "m", value: 1, ...extra }] }));
    expect(status).toBe(400);
    expect(body.error.path).toBe(path);
    expect((await viewerGet(board, "series")).body.series).toEqual([]);
  });

  it("stream to a viewer only the label sets its selector matches", async () => {
    const board = freshBoard();
    const selector = encodeURIComponent('d:http{route="/a"}');
    const viewer = await connect(board, await token("viewer", board), `?series=${selector}`);
    try {
      await viewer.nextMessage("hello");
      await viewer.nextMessage("snapshot");
      const device = await token("device", board, "d");
      await ingest(device, {
        points: [
          { metric: "http", value: 1, labels: { route: "/a" } },
          { metric: "http", value: 2, labels: { route: "/b" } },
        ],
      });
      const named = await viewer.nextMessage("series");
      expect(named.series).toEqual([expect.objectContaining({ metric: "http", labels: { route: "/a" } })]);
      expect(framePoints(await viewer.nextFrame()).map(([, , value]) => value)).toEqual([1]);
    } finally {
      viewer.close();
    }
  });

  it.each(["live", "events", "poll"])(
    "answer 400 on /%s to a selector that does not parse",
    async (transport) => {
      const board = freshBoard();
      const viewer = await token("viewer", board);
      const { status, body } = await answer(
        request(`/api/v1/boards/${board}/${transport}?series=${encodeURIComponent("d:m{x=1}")}`, {
          headers: { authorization: `Bearer ${viewer}`, ...handshake() },
        }),
      );
      expect(status).toBe(400);
      expect(body.error).toMatchObject({ code: "invalid_series", path: "series" });
    },
  );

  it("answer 400 when a query's selectors match more series than one answer holds", async () => {
    const board = freshBoard();
    const device = await token("device", board, "d");
    const points = Array.from({ length: 101 }, (_, i) => ({
      metric: "m",
      value: i,
      labels: { i: String(i) },
    }));
    await ingest(device, { points });
    const { status, body } = await viewerGet(board, "query?series=d:m&from=-1h");
    expect(status).toBe(400);
    expect(body.error.code).toBe("too_many_series");
  });
});
