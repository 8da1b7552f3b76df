import { create, toBinary } from "@bufbuild/protobuf";
import { compress } from "snappyjs";
import { describe, expect, it } from "vitest";
import {
  MetricMetadata_MetricType,
  WriteRequestSchema,
} from "../../worker/formats/gen/prometheus/remote_pb.ts";
import { answer, freshBoard, postRemoteWrite, request, token } from "./helpers.ts";

type Series = { labels: Record<string, string>; samples: Array<[value: number, ts: number]> };

/** A remote write body as Prometheus sends it: a WriteRequest, snappy block compressed. */
function writeRequest(
  series: Series[],
  metadata: Array<{ name: string; type: MetricMetadata_MetricType; unit?: string }> = [],
) {
  const message = create(WriteRequestSchema, {
    timeseries: series.map((s) => ({
      labels: Object.entries(s.labels).map(([name, value]) => ({ name, value })),
      samples: s.samples.map(([value, timestamp]) => ({ value, timestamp: BigInt(timestamp) })),
    })),
    metadata: metadata.map((m) => ({ metricFamilyName: m.name, type: m.type, unit: m.unit ?? "" })),
  });
  return compress(toBinary(WriteRequestSchema, message));
}

const post = postRemoteWrite;

async function stored(board: string) {
  const viewer = await token("viewer", board);
  const { body } = await answer(
    request(`/api/v1/boards/${board}/series`, { headers: { authorization: `Bearer ${viewer}` } }),
  );
  return body.series as Array<Record<string, unknown> & { last: { ts: number; value: number } }>;
}

describe("Prometheus remote write 1.0", () => {
  it("stores samples under __name__ with the other labels, the device from instance (kept as a label when the id cannot spell it), and answers 204", async () => {
    const board = freshBoard();
    const gateway = await token("gateway", board, "prometheus");
    const now = Date.now();
    const body = writeRequest(
      [
        {
          labels: { __name__: "http_requests_total", instance: "web-1:9100", job: "api", code: "200" },
          samples: [
            [10, now - 2000],
            [12, now - 1000],
          ],
        },
        {
          labels: { __name__: "temperature_celsius", instance: "web-1:9100", job: "api" },
          samples: [[21.5, now - 1000]],
        },
        {
          labels: { __name__: "up", instance: "web-2:9100", job: "api" },
          samples: [
            [Number.NaN, now],
            [1, now - 500],
          ],
        },
      ],
      [{ name: "temperature_celsius", type: MetricMetadata_MetricType.GAUGE, unit: "Cel" }],
    );
    const response = await post(gateway, body);
    expect(response.status).toBe(204);
    expect(
      (await stored(board)).map(({ device, metric, labels, unit, kind, last }) => [
        device,
        metric,
        labels,
        unit,
        kind,
        last,
      ]),
    ).toEqual([
      [
        "web-1_9100",
        "http_requests_total",
        { code: "200", job: "api", instance: "web-1:9100" },
        undefined,
        "counter",
        { ts: now - 1000, value: 12 },
      ],
      [
        "web-1_9100",
        "temperature_celsius",
        { job: "api", instance: "web-1:9100" },
        "Cel",
        "gauge",
        { ts: now - 1000, value: 21.5 },
      ],
      [
        "web-2_9100",
        "up",
        { job: "api", instance: "web-2:9100" },
        undefined,
        undefined,
        { ts: now, value: "NaN" },
      ],
    ]);
  });

  it("answers 400 and stores nothing when a sample can never be accepted", async () => {
    const board = freshBoard();
    const device = await token("device", board, "d");
    const body = writeRequest([
      { labels: { __name__: "ok" }, samples: [[1, Date.now()]] },
      { labels: { __name__: "old" }, samples: [[1, Date.now() - 30 * 86_400_000]] },
    ]);
    const response = await post(device, body);
    expect(response.status).toBe(400);
    expect(await response.text()).toBe(
      "ts_out_of_range: series old: ts must be within 7 days before and 5 minutes after server time",
    );
    expect(await stored(board)).toEqual([]);
  });

  it("stores values past 1e200 and NaN as values (see samples.test.ts for every float64 and staleness markers)", async () => {
    const board = freshBoard();
    const device = await token("device", board, "d");
    const now = Date.now();
    const body = writeRequest([
      {
        labels: { __name__: "m" },
        samples: [
          [1e308, now - 1000],
          [Number.NaN, now],
        ],
      },
    ]);
    expect((await post(device, body)).status).toBe(204);
    expect((await stored(board)).map((s) => s.last)).toEqual([{ ts: now, value: "NaN" }]);
  });

  it.each([
    [{ "content-encoding": "gzip" }, 415],
    [{ "content-type": "application/json" }, 415],
  ])("answers %j with %i", async (headers, status) => {
    const board = freshBoard();
    const device = await token("device", board, "d");
    expect(
      (await post(device, writeRequest([{ labels: { __name__: "m" }, samples: [[1, Date.now()]] }]), headers))
        .status,
    ).toBe(status);
  });

  it("answers 400 to a body that is not snappy or not a WriteRequest, and 413 past the decompressed limit", async () => {
    const board = freshBoard();
    const device = await token("device", board, "d");
    expect((await post(device, new Uint8Array([0xff, 0xff, 0xff, 0xff, 0xff, 0x01]))).status).toBe(400);
    expect((await post(device, compress(new Uint8Array([0x0a, 0xff])))).status).toBe(400);
    expect((await post(device, compress(new Uint8Array(9 * 1024 * 1024)))).status).toBe(413);
  });
});
