import { env } from "cloudflare:workers";
import { create, toBinary } from "@bufbuild/protobuf";
import { compress } from "snappyjs";
import { beforeAll, describe, expect, it } from "vitest";
import { signToken } from "../../../worker/auth/tokens.ts";
import { ExportMetricsServiceRequestSchema } from "../../../worker/formats/gen/opentelemetry/proto/collector/metrics/v1/metrics_service_pb.ts";
import { WriteRequestSchema } from "../../../worker/formats/gen/prometheus/remote_pb.ts";
import { MAX_CLIENT_MESSAGE } from "../../../worker/protocol/index.ts";
import { answer, connect, freshBoard, handshake, ingest, request, token } from "../helpers.ts";
import { int, mangle, nastyString, nastyValue, pick, type Random, seeded } from "./generators.ts";

/**
 * Thousands of malformed and malicious inputs per surface, from seeded generators. Every one must be refused with a
 * 4xx in its surface's error shape (or, on a socket, an error message or close 1008), never a 5xx, and the board's
 * stored data must be exactly as before. Format bodies are mangled valid ones sent with a revoked device's token: a
 * mangled body may still parse, and then the shard must refuse it without storing anything.
 */
const PER_SURFACE = 1000;
const IN_FLIGHT = 16;
const encoder = new TextEncoder();

type Shape = (status: number, text: string, headers: Headers) => boolean;
const jsonError: Shape = (_status, text) => {
  try {
    const body = JSON.parse(text);
    return typeof body.error?.code === "string" && typeof body.error?.message === "string";
  } catch {
    return false;
  }
};
const influxError: Shape = (_status, text) => {
  try {
    const body = JSON.parse(text);
    return ["string", "number"].includes(typeof body.code) && typeof body.message === "string";
  } catch {
    return false;
  }
};
const otlpError: Shape = (_status, text, headers) =>
  headers.get("content-type")?.includes("protobuf")
    ? true
    : influxError(0, text, headers) || jsonError(0, text, headers);
const textError: Shape = (_status, text) => /^[a-z_]+: ./.test(text);
let board: string;
let live: string;
let banned: string;
let viewer: string;
let adminToken: string;

/** What the board stores: series with last values, points accepted, and each shard's position. */
async function storedData(): Promise<string> {
  const headers = { authorization: `Bearer ${viewer}` };
  const series = await answer(request(`/api/v1/boards/${board}/series`, { headers }));
  const stats = await answer(request(`/api/v1/boards/${board}/stats`, { headers }));
  const { points, requests } = stats.body.ingest;
  return JSON.stringify({
    series: series.body.series.map((s: { last: unknown; device: string; metric: string }) => [
      s.device,
      s.metric,
      s.last,
    ]),
    points,
    requests,
    positions: stats.body.positions,
  });
}

/** Sends every input (a few at a time) and collects those answered outside 4xx or in the wrong shape. */
async function refuseAll(
  inputs: Array<() => Promise<Response>>,
  shape: Shape,
  acceptsEmpty: boolean,
): Promise<{ problems: string[]; statuses: Record<number, number> }> {
  const problems: string[] = [];
  const statuses: Record<number, number> = {};
  for (let start = 0; start < inputs.length; start += IN_FLIGHT) {
    await Promise.all(
      inputs.slice(start, start + IN_FLIGHT).map(async (input, offset) => {
        const response = await input();
        const text = await response.text();
        statuses[response.status] = (statuses[response.status] ?? 0) + 1;
        const refused =
          response.status >= 400 && response.status < 500 && shape(response.status, text, response.headers);
        const emptyWrite = acceptsEmpty && (response.status === 200 || response.status === 204);
        if (!refused && !emptyWrite)
          problems.push(`#${start + offset}: ${response.status} ${text.slice(0, 160)}`);
      }),
    );
  }
  return { problems, statuses };
}

/**
 * `acceptsEmpty`: the format answers success to a write that holds no points (InfluxDB, OTLP), so a body mangled
 * into one may get 2xx; that it stored nothing is still checked.
 */
async function expectRefused(
  inputs: Array<() => Promise<Response>>,
  shape: Shape,
  acceptsEmpty = false,
): Promise<void> {
  expect(inputs.length).toBeGreaterThanOrEqual(PER_SURFACE);
  const before = await storedData();
  const { problems, statuses } = await refuseAll(inputs, shape, acceptsEmpty);
  expect(problems, JSON.stringify(statuses)).toEqual([]);
  expect(await storedData()).toBe(before);
}

const uri = (text: string) => encodeURIComponent(text.toWellFormed());
const times = <T>(n: number, make: (i: number) => T) => Array.from({ length: n }, (_, i) => make(i));
const address = (random: Random) => `10.${int(random, 250)}.${int(random, 250)}.${int(random, 250)}`;

beforeAll(async () => {
  board = freshBoard();
  live = await token("device", board, "live");
  banned = await token("device", board, "banned");
  viewer = await token("viewer", board);
  adminToken = await token("admin", board);
  expect((await ingest(live, { metrics: { m: 1, n: 2 } })).status).toBe(202);
  const revoke = await request(`/api/v1/boards/${board}/admin/devices/banned/revoke`, {
    method: "POST",
    headers: { authorization: `Bearer ${adminToken}` },
  });
  expect(revoke.status).toBe(200);
});

/** One definite violation of the JSON ingest body, on top of a valid base. */
function badJsonBody(random: Random): { body: string; headers?: Record<string, string> } {
  const base: Record<string, unknown> =
    random() < 0.5 ? { metrics: { m: 1 } } : { points: [{ metric: "m", value: 1 }] };
  const point = (base.points as Array<Record<string, unknown>> | undefined)?.[0];
  const notName = (text: string) => (/^[A-Za-z_][A-Za-z0-9_.:-]{0,127}$/.test(text) ? `\u0000${text}` : text);
  const notNumber = () => {
    const value = nastyValue(random);
    return typeof value === "number" ? `${value}` : value;
  };
  switch (int(random, 10)) {
    case 0:
      base[`${nastyString(random)}~`] = nastyValue(random);
      break;
    case 1:
      if (point) point.metric = notName(nastyString(random));
      else base.metrics = { [notName(nastyString(random))]: 1 };
      break;
    case 2:
      if (point) point.value = notNumber();
      else base.metrics = { m: notNumber() };
      break;
    case 3:
      (point ?? base).ts = pick(random, [
        -1,
        1.5,
        "now",
        1e20,
        Date.now() + 86_400_000,
        Date.now() - 30 * 86_400_000,
        null,
      ]);
      break;
    case 4:
      (point ?? base).labels = pick(random, [
        nastyString(random),
        [1],
        { [`${nastyString(random)}!`]: "v" },
        { k: pick(random, [1, null, true, [], {}, "v".repeat(129)]) },
      ]);
      break;
    case 5:
      return { body: JSON.stringify(base).slice(0, 1 + int(random, 12)) };
    case 6:
      return { body: JSON.stringify(pick(random, [[], "text", 1, null, [base]])) };
    case 7:
      base.device = `other${int(random, 1000)}`;
      break;
    case 8:
      return {
        body: JSON.stringify(base),
        headers: {
          "content-type": pick(random, [
            "text/plain",
            "application/xml",
            "multipart/form-data",
            nastyString(random).replace(/[^\x20-\x7e]/g, "") || "x/y",
          ]),
        },
      };
    default:
      if (point) base.points = random() < 0.5 ? [] : times(10_001, () => ({ metric: "m", value: 1 }));
      else base.metrics = {};
      break;
  }
  return { body: JSON.stringify(base) };
}

describe(`hostile input (${PER_SURFACE} per surface)`, { timeout: 120_000 }, () => {
  it("JSON ingest", async () => {
    const random = seeded(1);
    await expectRefused(
      times(PER_SURFACE, () => {
        const { body, headers } = badJsonBody(random);
        return () => ingest(live, body, headers);
      }),
      jsonError,
    );
  });

  it("InfluxDB line protocol", async () => {
    const random = seeded(2);
    const now = Date.now();
    const valid = encoder.encode(`cpu,host=a,core=0 usage=12.5,idle=80i ${now}\nmem free=1024i ${now}\n`);
    await expectRefused(
      times(PER_SURFACE, () => {
        const body = mangle(random, valid);
        return () =>
          request(`/api/v2/write?bucket=${board}&precision=ms`, {
            method: "POST",
            headers: { authorization: `Token ${banned}` },
            body,
          });
      }),
      influxError,
      true,
    );
  });

  it("OTLP JSON and protobuf", async () => {
    const random = seeded(3);
    const now = `${Date.now()}000000`;
    const message = {
      resourceMetrics: [
        {
          resource: { attributes: [{ key: "service.name", value: { stringValue: "svc" } }] },
          scopeMetrics: [
            {
              metrics: [
                {
                  name: "requests",
                  sum: {
                    dataPoints: [{ asInt: "5", timeUnixNano: now }],
                    isMonotonic: true,
                    aggregationTemporality: 2,
                  },
                },
                { name: "load", gauge: { dataPoints: [{ asDouble: 0.5, timeUnixNano: now }] } },
              ],
            },
          ],
        },
      ],
    };
    const json = encoder.encode(JSON.stringify(message));
    const binary = toBinary(
      ExportMetricsServiceRequestSchema,
      create(
        ExportMetricsServiceRequestSchema,
        message as Parameters<typeof create<typeof ExportMetricsServiceRequestSchema>>[1],
      ),
    );
    await expectRefused(
      times(PER_SURFACE, (i) => {
        const proto = i % 2 === 1;
        const body = mangle(random, proto ? binary : json);
        return () =>
          request("/v1/metrics", {
            method: "POST",
            headers: {
              authorization: `Bearer ${banned}`,
              "content-type": proto ? "application/x-protobuf" : "application/json",
            },
            body,
          });
      }),
      otlpError,
      true,
    );
  });

  it("Prometheus remote write", async () => {
    const random = seeded(4);
    const now = BigInt(Date.now());
    const writeRequest = toBinary(
      WriteRequestSchema,
      create(WriteRequestSchema, {
        timeseries: [
          {
            labels: [
              { name: "__name__", value: "up" },
              { name: "job", value: "node" },
            ],
            samples: [{ value: 1, timestamp: now }],
          },
        ],
      }),
    );
    await expectRefused(
      times(PER_SURFACE, (i) => {
        // Half mangled before compression (a valid snappy stream of a broken message), half after.
        const body =
          i % 2 === 0 ? compress(mangle(random, writeRequest)) : mangle(random, compress(writeRequest));
        return () =>
          request("/api/v1/write", {
            method: "POST",
            headers: {
              authorization: `Bearer ${banned}`,
              "content-type": "application/x-protobuf",
              "content-encoding": "snappy",
              "x-prometheus-remote-write-version": "0.1.0",
            },
            body,
          });
      }),
      textError,
      true,
    );
  });

  it("tokens, on every authenticated route", async () => {
    const random = seeded(5);
    const good = await token("device", board, "live");
    const forged = async (): Promise<string> => {
      switch (int(random, 6)) {
        case 0:
          return nastyString(random).replace(/[^\x21-\x7e]/g, "x") || "x";
        case 1: {
          const at = 4 + int(random, good.length - 4);
          const swapped = good[at] === "A" ? "B" : "A";
          return `${good.slice(0, at)}${swapped}${good.slice(at + 1)}`;
        }
        case 2:
          return `ep1.${"A".repeat(int(random, 3000))}.${"B".repeat(int(random, 60))}`;
        case 3:
          return signToken("another-secret-of-at-least-32-characters!", { kind: "viewer", board, iat: 1 });
        case 4:
          return signToken(env.EDGEPULSE_SECRET, { kind: "viewer", board, iat: 1, exp: 2 });
        default:
          return `${good}${pick(random, [".", "=", "==", "x", "%3D"])}`;
      }
    };
    const routes: Array<(credential: string, from: string) => Promise<Response>> = [
      (c, from) =>
        request("/api/v1/ingest", {
          method: "POST",
          headers: { authorization: `Bearer ${c}`, "cf-connecting-ip": from },
          body: "{}",
        }),
      (c, from) =>
        request(`/api/v1/boards/${board}/stats`, {
          headers: { authorization: `Bearer ${c}`, "cf-connecting-ip": from },
        }),
      (c, from) =>
        request(`/api/v1/boards/${board}/query?series=live:m`, {
          headers: { authorization: `Basic ${btoa(`u:${c}`)}`, "cf-connecting-ip": from },
        }),
      (c, from) =>
        request(`/api/v1/boards/${board}/events?ticket=${uri(c)}`, {
          headers: { "cf-connecting-ip": from },
        }),
      (c, from) =>
        request(`/api/v1/boards/${board}/live`, {
          headers: {
            ...handshake(),
            "sec-websocket-protocol": `edgepulse.v2, bearer.${c}`,
            "cf-connecting-ip": from,
          },
        }),
      (c, from) =>
        request(`/api/v1/boards/${board}/admin/devices`, {
          headers: { authorization: `Bearer ${c}`, "cf-connecting-ip": from },
        }),
    ];
    const inputs = await Promise.all(
      times(PER_SURFACE, async () => {
        const credential = await forged();
        const route = pick(random, routes);
        const from = address(random);
        return () => route(credential, from);
      }),
    );
    await expectRefused(inputs, jsonError);
  });

  it("history queries", async () => {
    const random = seeded(6);
    const violations = [
      () => `series=live:m&from=~${uri(nastyString(random))}`,
      () => `series=live:m&to=${"9".repeat(17 + int(random, 400))}`,
      () =>
        `series=live:m&step=${pick(random, ["0", "0.1ms", "-1s", "1y", "1e9d", "NaN", ""])}${int(random, 9)}x`,
      () => `series=live:${"m".repeat(600 + int(random, 5000))}`,
      () => times(101 + int(random, 50), (i) => `series=d:m${i}`).join("&"),
      () => `device=${uri(nastyString(random))}`,
      () => `series=live:m&${uri(nastyString(random) || "x")}x=1`,
      () => `series=live:m&from=now&to=-1d`,
    ];
    const headers = { authorization: `Bearer ${viewer}` };
    await expectRefused(
      times(PER_SURFACE, () => {
        const query = pick(random, violations)();
        return () => request(`/api/v1/boards/${board}/query?${query}`, { headers });
      }),
      jsonError,
    );
  });

  it("live handshakes", async () => {
    const random = seeded(7);
    const violations: Array<(headers: Record<string, string>) => void> = [
      (h) => {
        delete h.upgrade;
      },
      (h) => {
        h.upgrade = pick(random, ["h2c", "WebSocket2", "", "websocket, x"]);
      },
      (h) => {
        h.connection = pick(random, ["close", "keep-alive", "upgrade-insecure", ""]);
      },
      (h) => {
        h["sec-websocket-key"] = nastyString(random).replace(/[^\x20-\x7e]/g, "") || "x";
      },
      (h) => {
        h["sec-websocket-version"] = pick(random, ["8", "12", "14", "", "13, 8"]);
      },
      (h) => {
        h.origin = `https://${nastyString(random).replace(/[^a-z]/g, "") || "evil"}.example`;
      },
      (h) => {
        h["sec-websocket-protocol"] = `not-ours, bearer.${viewer}`;
      },
      (h) => {
        h.authorization = `Bearer ${nastyString(random).replace(/[^\x21-\x7e]/g, "") || "x"}`;
      },
    ];
    const badQueries = ["?pos=~", `?series=${"x".repeat(5000)}`, "?wat=1", "?pos=1.2.3_1.2"];
    await expectRefused(
      times(PER_SURFACE, (i) => {
        const headers: Record<string, string> = {
          ...handshake(),
          authorization: `Bearer ${viewer}`,
          "cf-connecting-ip": address(random),
        };
        // Every input breaks the handshake, its query, or both.
        const query = i % 5 === 0 ? pick(random, badQueries) : random() < 0.3 ? pick(random, badQueries) : "";
        if (i % 5 !== 0) pick(random, violations)(headers);
        return () => request(`/api/v1/boards/${board}/live${query}`, { headers });
      }),
      jsonError,
    );
  });

  it("live messages: each answered with an error (one too long: close 1009), a flood closed with 1008, nothing stored", async () => {
    const random = seeded(8);
    const before = await storedData();
    const messages = times(PER_SURFACE, () => {
      switch (int(random, 5)) {
        case 0:
          return nastyString(random);
        case 1:
          return JSON.stringify(nastyValue(random));
        case 2:
          return JSON.stringify({
            type: pick(random, ["subscribe", "unsubscribe", "ack", "hello", "ping", ""]),
            frames: pick(random, ["1", null, -1, 1.5, {}]),
            series: [nastyValue(random), ...times(int(random, 40), () => "~~")],
          });
        case 3:
          return JSON.stringify({ type: "ack", frames: pick(random, [-1, 1.5, "1", null, 2 ** 60]) });
        default:
          return JSON.stringify({ type: "subscribe", series: times(33 + int(random, 10), (i) => `d:m${i}`) });
      }
    });
    let closedBy1008 = 0;
    const perSocket = 4;
    for (let start = 0; start < messages.length; start += perSocket) {
      // A credential per socket: upgrades are rate limited per credential.
      const socket = await connect(
        board,
        await token("viewer", board, undefined, Math.floor(Date.now() / 1000) + 1000 + start),
      );
      await socket.nextMessage("hello");
      await socket.nextMessage("snapshot");
      const batch = messages.slice(start, start + perSocket);
      for (const message of batch) socket.socket.send(message);
      for (const message of batch) {
        // Longer than any control message: the socket is closed at once, the rest of the batch unread.
        if (message.length > MAX_CLIENT_MESSAGE) {
          for (let waited = 0; !socket.closed && waited < 3000; waited += 20)
            await new Promise((resolve) => setTimeout(resolve, 20));
          expect(socket.closed?.code).toBe(1009);
          break;
        }
        const reply = await socket.next(3000);
        expect(
          reply.kind === "message" && ["error", "snapshot"].includes(reply.message.type),
          JSON.stringify(reply),
        ).toBe(true);
      }
      socket.close();
    }
    // A socket sending the same messages without pause is closed with 1008 once past its budget.
    const flooder = await connect(board, viewer);
    await flooder.nextMessage("hello");
    await flooder.nextMessage("snapshot");
    const fitting = messages.filter((message) => message.length <= MAX_CLIENT_MESSAGE);
    for (const message of fitting.slice(0, 200)) flooder.socket.send(message);
    const deadline = Date.now() + 3000;
    while (!flooder.closed && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
    if (flooder.closed?.code === 1008) closedBy1008++;
    expect(closedBy1008).toBe(1);
    expect(await storedData()).toBe(before);
  });

  it("SSE streams and long polls", async () => {
    const random = seeded(9);
    const violations = [
      () => `pos=${uri(nastyString(random))}~`,
      () => `pos=0.1.${"9".repeat(30)}`,
      () => `series=${"x:".repeat(3000)}`,
      () => times(33, (i) => `series=d:m${i}`).join("&"),
      () => `series=${uri(`${nastyString(random)}\u0000`)}`,
      () => `${uri(nastyString(random) || "x")}q=1`,
      () => `wait=${pick(random, ["-1", "1.5", "soon", "1e9", ""])}x`,
    ];
    await expectRefused(
      times(PER_SURFACE, (i) => {
        const path = i % 2 === 0 ? "events" : "poll";
        const query = pick(random, violations)();
        const headers: Record<string, string> = { authorization: `Bearer ${viewer}` };
        if (random() < 0.2) headers["last-event-id"] = `${nastyString(random).replace(/[^\x20-\x7e]/g, "")}~`;
        return () => request(`/api/v1/boards/${board}/${path}?${query}`, { headers });
      }),
      jsonError,
    );
  });

  it("admin API", async () => {
    const random = seeded(10);
    const headers = { authorization: `Bearer ${adminToken}`, "content-type": "application/json" };
    const base = `/api/v1/boards/${board}/admin`;
    const inputs = [
      () => {
        const body = pick(random, [
          () => JSON.stringify({ [`${nastyString(random)}~`]: 1 }),
          () => JSON.stringify({ seriesPerDevice: pick(random, [0, -1, 1.5, 1e12, "5", [], {}]) }),
          () => JSON.stringify({ viewers: pick(random, [0, -5, 2 ** 60, "x", true]) }),
          () => JSON.stringify(pick(random, [[], "x", 1, null])),
          () => `${nastyString(random)}!`,
          () => JSON.stringify({ viewers: 5, pad: "x".repeat(5000) }),
        ])();
        return () => request(`${base}/limits`, { method: "PUT", headers, body });
      },
      () => {
        const name = uri(`${nastyString(random)}\u0000`);
        const action = pick(random, ["revoke", "restore"]);
        const kind = pick(random, ["devices", "gateways"]);
        return () => request(`${base}/${kind}/${name}/${action}`, { method: "POST", headers });
      },
      () => {
        const [method, path] = pick(random, [
          ["DELETE", "/limits"],
          ["PATCH", "/limits"],
          ["POST", "/limits"],
          ["POST", "/devices"],
          ["PUT", "/devices"],
          ["GET", "/devices/x/revoke"],
          ["DELETE", "/gateways/x/restore"],
        ] as const);
        return () => request(`${base}${path}`, { method, headers });
      },
      () => {
        const path = uri(nastyString(random) || "x");
        return () => request(`${base}/${path}/x`, { headers });
      },
    ];
    await expectRefused(
      times(PER_SURFACE, () => pick(random, inputs)()),
      jsonError,
    );
  });
  it("alert rules API", async () => {
    const random = seeded(11);
    const headers = { authorization: `Bearer ${adminToken}`, "content-type": "application/json" };
    const base = `/api/v1/boards/${board}/alerts`;
    const valid = { name: "hot", series: "d:temp", op: ">", threshold: 1, forMs: 0 };
    /** Values each field must refuse (`op: nodata` with the valid rule's threshold included). */
    const invalid: Record<string, unknown[]> = {
      name: ["", "   ", 1, null, [], "x".repeat(200)],
      series: ["*:{", 'd:m{k=~"(a+)+"}', "no selector", 1, null, `${"x".repeat(600)}:m`],
      op: ["==", "", "nodata", 1, null, ["<"]],
      threshold: ["1", null, [], {}, true, Number.POSITIVE_INFINITY],
      forMs: [-1, 1.5, 2 ** 60, "0", null],
      clearThreshold: [5, "x", null, Number.NaN],
      webhook: [
        "javascript:alert(1)",
        "ftp://x.example",
        "not a url",
        1,
        `https://${"x".repeat(3000)}.example`,
      ],
      unknown: [nastyValue(random), 1, "x"],
    };
    const inputs = [
      () => {
        const rule: Record<string, unknown> = { ...valid };
        const [field, values] = pick(random, Object.entries(invalid));
        rule[field === "unknown" ? `${nastyString(random)}~` : field] = pick(random, values);
        const body = JSON.stringify(rule);
        return () => request(base, { method: "POST", headers, body });
      },
      () => {
        const body = pick(random, [
          `${nastyString(random)}!`,
          "[]",
          "null",
          "1",
          JSON.stringify({ ...valid, pad: "x".repeat(5000) }),
        ]);
        return () => request(base, { method: "POST", headers, body });
      },
      () => {
        const query = `${pick(random, ["from", "limit", "to", nastyString(random) || "x"])}=${uri(nastyString(random) || "-1")}`;
        return () => request(`${base}/events?${query}`, { headers });
      },
      () => {
        const id = uri(`${nastyString(random)}\u0000`);
        return () => request(`${base}/${id}`, { method: pick(random, ["DELETE", "GET", "PUT"]), headers });
      },
    ];
    await expectRefused(
      times(PER_SURFACE, () => pick(random, inputs)()),
      jsonError,
    );
    expect((await answer(request(base, { headers }))).body.rules).toEqual([]);
  });
  it("dashboards API", async () => {
    const random = seeded(12);
    const headers = { authorization: `Bearer ${adminToken}`, "content-type": "application/json" };
    const base = `/api/v1/boards/${board}/dashboards`;
    const panel = {
      id: 1,
      type: "stat",
      gridPos: { x: 0, y: 0, w: 6, h: 4 },
      targets: [{ refId: "A", expr: "up" }],
    };
    const variable = { name: "job", type: "custom", query: "a,b" };
    const valid = { title: "t", panels: [panel], variables: [variable] };
    /** Values each field must refuse, by where it is. */
    const invalid: Record<string, [where: "dashboard" | "panel" | "variable", values: unknown[]]> = {
      title: ["dashboard", ["", "   ", 1, null, [], "x".repeat(300)]],
      time: ["dashboard", [{ from: "yesterday", to: "now" }, "now-1h", null, { from: "now" }]],
      refresh: ["dashboard", ["often", 30, null, "-5s"]],
      panels: ["dashboard", [{}, "x", Array.from({ length: 201 }, () => panel), [panel, panel]]],
      version: ["dashboard", [-1, 1.5, "0", null, 2 ** 60, 7]],
      type: ["panel", ["piechart", "", 1, null, "row"]],
      gridPos: [
        "panel",
        [{ x: 20, y: 0, w: 6, h: 1 }, { x: 0, y: 0, w: 0, h: 1 }, { x: -1, y: 0, w: 1, h: 1 }, null],
      ],
      targets: [
        "panel",
        [[{ refId: "A" }], [{ refId: "", expr: "up" }], "up", Array(21).fill({ refId: "A", expr: "up" })],
      ],
      decimals: ["panel", [-1, 21, 1.5, "2"]],
      thresholds: ["panel", [[{ value: "1", color: "red" }], [{ value: 1 }], {}]],
      options: ["panel", ["x", [], 1, JSON.parse(`${'{"a":'.repeat(20_000)}1${"}".repeat(20_000)}`)]],
      name: ["variable", ["", "$job", "1x", "a-b", null]],
      query: ["variable", [1, null, "x".repeat(9000)]],
    };
    const dashboardWith = (field: string, where: string, value: unknown) => {
      if (where === "dashboard") return { ...valid, [field]: value };
      if (where === "panel") return { ...valid, panels: [{ ...panel, [field]: value }] };
      return { ...valid, variables: [{ ...variable, [field]: value }] };
    };
    const uid = () => pick(random, ["d", "import", uri(`${nastyString(random)}\u0000`), "x".repeat(41)]);
    const inputs = [
      () => {
        const [field, [where, values]] = pick(random, Object.entries(invalid));
        const body = JSON.stringify(dashboardWith(field, where, pick(random, values)));
        return () => request(`${base}/d`, { method: "PUT", headers, body });
      },
      () => {
        const body = JSON.stringify({ ...valid, [`${nastyString(random)}~`]: nastyValue(random) });
        return () => request(`${base}/d`, { method: "PUT", headers, body });
      },
      () => {
        const body = pick(random, [
          `${nastyString(random)}!`,
          "[]",
          "null",
          "1",
          JSON.stringify({ ...valid, pad: "x".repeat(1 << 20) }),
        ]);
        return () =>
          request(`${base}/${pick(random, ["d", "import"])}`, {
            method: pick(random, ["PUT", "POST"]),
            headers,
            body,
          });
      },
      () => {
        const title = pick(random, [null, 1, [], {}, "", "   ", true]);
        const body = JSON.stringify({
          title,
          panels: nastyValue(random),
          templating: { list: nastyValue(random) },
        });
        return () => request(`${base}/import`, { method: "POST", headers, body });
      },
      () => {
        const path = pick(random, ["", "/versions", `/versions/${uri(nastyString(random) || "0")}`]);
        return () =>
          request(`${base}/${uid()}${path}`, { method: pick(random, ["GET", "DELETE", "PATCH"]), headers });
      },
    ];
    await expectRefused(
      times(PER_SURFACE, () => pick(random, inputs)()),
      jsonError,
    );
    expect((await answer(request(base, { headers }))).body.dashboards).toEqual([]);
  });
});
