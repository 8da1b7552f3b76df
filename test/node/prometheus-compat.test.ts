/**
 * A board's Prometheus API next to Debian's real Prometheus: the same samples remote-written into both, then the
 * same questions asked of both (queries across PromQL's families, series, labels, label values), promtool run
 * against both, and the requests Grafana's Prometheus data source sends.
 */
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mintToken } from "../../scripts/mint-token.ts";
import { findFreePorts, waitForHttp } from "../../scripts/net.ts";
import { type GroupProcess, runGroup, startGroup } from "../../scripts/processes.ts";
import { type RealPrometheus, remoteWrite, startRealPrometheus } from "../../scripts/real-prometheus.ts";
import { remoteWriteBody, type WrittenSeries } from "../../scripts/remote-write-body.ts";
import { DEV_HOST, REPO_ROOT, viteBuild, wranglerDev } from "../../scripts/tools.ts";
import { seededRandom } from "../seeded-random.ts";

const run = promisify(execFile);
const secret = randomBytes(32).toString("hex");
const stateDir = mkdtempSync(join(tmpdir(), "edgepulse-promql-"));
const board = `prom-${randomBytes(4).toString("hex")}`;
const STEP_MS = 15_000;
/** The last sample's time: aligned, a little in the past so both accept every sample. */
const END = Math.floor(Date.now() / STEP_MS) * STEP_MS - 2 * STEP_MS;
const START = END - 40 * 60_000;
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
let wrangler: GroupProcess | undefined;
let prometheus: RealPrometheus | undefined;
let boardUrl = "";
let viewer = "";

/** Counters (one resets), gauges (one stops halfway) and a classic histogram, every 15 s for 40 minutes. */
function samples(): WrittenSeries[] {
  const random = seededRandom(19);
  const times = Array.from({ length: (END - START) / STEP_MS + 1 }, (_, i) => START + i * STEP_MS);
  const series: WrittenSeries[] = [];
  const counter = (labels: Record<string, string>, resetAt = -1) => {
    let value = 0;
    series.push({
      labels,
      samples: times.map((t, i) => {
        value = i === resetAt ? 1 : value + Math.floor(random() * 10);
        return [value, t];
      }),
    });
  };
  for (const [i, job] of ["api", "api", "web"].entries())
    for (const code of ["200", "500"])
      counter(
        { __name__: "http_requests_total", instance: `10.0.0.${i + 1}:9100`, job, code },
        i === 1 && code === "200" ? 80 : -1,
      );
  for (const zone of ["a", "b", "c"]) {
    const labels = { __name__: "node_temperature_celsius", instance: `sensor-${zone}`, zone };
    series.push({ labels, samples: times.map((t) => [Math.round((15 + random() * 15) * 100) / 100, t]) });
  }
  const half = times.slice(0, times.length / 2);
  series.push({
    labels: { __name__: "queue_depth", instance: "q1" },
    samples: half.map((t, i) => [i % 7, t]),
  });
  for (const job of ["api", "web"]) {
    const bounds = ["0.05", "0.1", "0.25", "0.5", "1", "+Inf"];
    const cumulative = bounds.map(() => 0);
    const bucketSamples = bounds.map(() => [] as Array<[number, number]>);
    const sum: Array<[number, number]> = [];
    let total = 0;
    for (const t of times) {
      for (let n = Math.floor(random() * 20); n > 0; n--) {
        const observed = random() ** 2 * 1.5;
        total += observed;
        bounds.forEach((le, b) => {
          if (le === "+Inf" || observed <= Number(le)) cumulative[b]!++;
        });
      }
      for (const [b, count] of cumulative.entries()) bucketSamples[b]!.push([count, t]);
      sum.push([total, t]);
    }
    const base = { instance: `${job}-1`, job };
    for (const [b, le] of bounds.entries())
      series.push({
        labels: { __name__: "rpc_duration_seconds_bucket", ...base, le },
        samples: bucketSamples[b]!,
      });
    series.push({ labels: { __name__: "rpc_duration_seconds_sum", ...base }, samples: sum });
    series.push({
      labels: { __name__: "rpc_duration_seconds_count", ...base },
      samples: bucketSamples.at(-1)!,
    });
  }
  return series;
}

/**
 * Counters beside the others, written after them: with them a shard holds 8 blocks of 128 series and the others sit
 * in the first, so their selections are rebuilt from 1 s buckets rather than read from the raw log (README "Exact").
 */
const FILLER_SERIES = 1_000;
function fillerBodies(): Uint8Array<ArrayBuffer>[] {
  const times = Array.from({ length: (END - START) / STEP_MS + 1 }, (_, i) => START + i * STEP_MS);
  const series: WrittenSeries[] = Array.from({ length: FILLER_SERIES }, (_, n) => ({
    labels: { __name__: "filler_total", instance: `filler-${Math.floor(n / 100)}`, n: String(n) },
    samples: times.map((t, i) => [i * ((n % 5) + 1), t] as const),
  }));
  // A request takes up to 10,000 points.
  const perBody = Math.floor(9_000 / times.length);
  return Array.from({ length: Math.ceil(series.length / perBody) }, (_, b) =>
    remoteWriteBody(series.slice(b * perBody, (b + 1) * perBody)),
  );
}

beforeAll(async () => {
  const [port, inspectorPort] = (await findFreePorts(DEV_HOST, 2)) as [number, number];
  const baseUrl = `http://${DEV_HOST}:${port}`;
  const args = ["--inspector-port", String(inspectorPort), "--persist-to", stateDir];
  const output: string[] = [];
  // wrangler dev serves the dashboard's build as its assets.
  if (!existsSync(`${REPO_ROOT}/dashboard/dist`))
    await runGroup(viteBuild(), { output: (line) => output.push(line) });
  wrangler = startGroup(wranglerDev(port, [...args, "--var", `EDGEPULSE_SECRET:${secret}`]), {
    output: (line) => output.push(line),
  });
  [prometheus] = await Promise.all([
    startRealPrometheus(),
    waitForHttp(`${baseUrl}/api/v1/ingest`, 60_000, wrangler.exited),
  ]);
  boardUrl = `${baseUrl}/api/v1/boards/${board}/prometheus`;
  viewer = await mintToken(secret, { kind: "viewer", board });
  const gateway = await mintToken(secret, { kind: "gateway", board, gateway: "prometheus" });
  const body = remoteWriteBody(samples());
  await remoteWrite(`${prometheus.url}/api/v1/write`, body);
  await remoteWrite(`${baseUrl}/api/v1/write`, body, gateway);
  for (const filler of fillerBodies()) {
    await remoteWrite(`${prometheus.url}/api/v1/write`, filler);
    await remoteWrite(`${baseUrl}/api/v1/write`, filler, gateway);
  }
}, 90_000);

afterAll(async () => {
  await Promise.all([wrangler?.stop(), prometheus?.stop()]);
  rmSync(stateDir, { recursive: true, force: true });
});

interface Answer {
  status: number;
  // biome-ignore lint/suspicious/noExplicitAny: Prometheus's JSON, compared as it is.
  body: any;
}

/** GET (query parameters) or POST (form-encoded) to `base` + `path`, with the board's viewer token if it is ours. */
async function ask(
  base: string,
  path: string,
  params: Array<[string, string]>,
  method = "GET",
): Promise<Answer> {
  const query = new URLSearchParams(params).toString();
  const headers: Record<string, string> = base === boardUrl ? { authorization: `Bearer ${viewer}` } : {};
  const response =
    method === "GET"
      ? await fetch(`${base}/api/v1/${path}?${query}`, { headers })
      : await fetch(`${base}/api/v1/${path}`, {
          method: "POST",
          headers: { ...headers, "content-type": "application/x-www-form-urlencoded" },
          body: query,
        });
  return { status: response.status, body: await response.json() };
}

type Sample = [number, string];
interface Item {
  metric: Record<string, string>;
  value?: Sample;
  values?: Sample[];
}

/** The start and end parameters of [from, to] (ms), in seconds as clients send them. */
const range = (from: number, to: number): Array<[string, string]> => [
  ["start", String(from / 1000)],
  ["end", String(to / 1000)],
];

const labelText = (metric: Record<string, string>) => JSON.stringify(Object.entries(metric).sort());

/** Whether two sample values are the same float (relative 1e-9, for sums added in another order), NaN included. */
function sameValue(a: string, b: string): boolean {
  if (a === b) return true;
  const [x, y] = [Number(a), Number(b)];
  return Math.abs(x - y) <= 1e-9 * Math.max(Math.abs(x), Math.abs(y));
}

/** Checks a board's query answer against Prometheus's: result type, series and labels, timestamps and values. */
function expectSameData(expr: string, ours: Answer, theirs: Answer): void {
  expect(theirs.status, `${expr}: prometheus ${JSON.stringify(theirs.body)}`).toBe(200);
  expect(ours.status, `${expr}: ${JSON.stringify(ours.body)}`).toBe(200);
  const [a, b] = [ours.body.data, theirs.body.data];
  expect(a.resultType, expr).toBe(b.resultType);
  if (a.resultType === "scalar" || a.resultType === "string") {
    expect(a.result[0], expr).toBe(b.result[0]);
    expect(sameValue(a.result[1], b.result[1]), `${expr}: ${a.result} vs ${b.result}`).toBe(true);
    return;
  }
  const sorted = (items: Item[]) =>
    [...items].sort((x, y) => (labelText(x.metric) < labelText(y.metric) ? -1 : 1));
  const [x, y] = [sorted(a.result), sorted(b.result)];
  expect(
    x.map((i) => i.metric),
    expr,
  ).toEqual(y.map((i) => i.metric));
  x.forEach((item, k) => {
    const [ourSamples, theirSamples] = [item.values ?? [item.value!], y[k]!.values ?? [y[k]!.value!]];
    const where = `${expr} ${labelText(item.metric)}`;
    expect(
      ourSamples.map((s) => s[0]),
      where,
    ).toEqual(theirSamples.map((s) => s[0]));
    ourSamples.forEach((s, n) => {
      expect(
        sameValue(s[1], theirSamples[n]![1]),
        `${where} at ${s[0]}: ${s[1]} vs ${theirSamples[n]![1]}`,
      ).toBe(true);
    });
  });
}

const EXPRESSIONS = [
  "http_requests_total",
  'http_requests_total{code=~"5..", job!="web"}',
  "http_requests_total offset 5m",
  "sum by (job) (rate(http_requests_total[5m]))",
  "sum without (instance, code) (increase(http_requests_total[10m]))",
  "irate(http_requests_total[1m])",
  "resets(http_requests_total[30m])",
  "rate(http_requests_total[5m]) / ignoring(code) group_left sum by (instance, job) (rate(http_requests_total[5m]))",
  "topk(2, node_temperature_celsius)",
  "max by (zone) (node_temperature_celsius) > 22",
  "node_temperature_celsius > bool 22",
  "avg_over_time(node_temperature_celsius[5m])",
  "quantile_over_time(0.9, node_temperature_celsius[10m])",
  "deriv(node_temperature_celsius[10m])",
  "count(node_temperature_celsius) * 2",
  'label_replace(node_temperature_celsius, "site", "z-$1", "zone", "(.*)")',
  "queue_depth",
  "absent(queue_depth)",
  "histogram_quantile(0.9, sum by (le) (rate(rpc_duration_seconds_bucket[5m])))",
  "histogram_quantile(0.5, sum by (job, le) (rate(rpc_duration_seconds_bucket[5m])))",
  "rate(rpc_duration_seconds_sum[5m]) / rate(rpc_duration_seconds_count[5m])",
  "scalar(sum(node_temperature_celsius))",
  "time()",
];

describe("a board's Prometheus API against the real Prometheus, same samples", () => {
  it.each(EXPRESSIONS)("instant %s", async (expr) => {
    const params: Array<[string, string]> = [
      ["query", expr],
      ["time", String(END / 1000)],
    ];
    expectSameData(expr, await ask(boardUrl, "query", params), await ask(prometheus!.url, "query", params));
  });

  it.each(EXPRESSIONS)("range %s", async (expr) => {
    const params: Array<[string, string]> = [
      ["query", expr],
      ["start", String((END - 30 * 60_000) / 1000)],
      ["end", String(END / 1000)],
      ["step", "60"],
    ];
    const ours = await ask(boardUrl, "query_range", params, "POST");
    expectSameData(expr, ours, await ask(prometheus!.url, "query_range", params, "POST"));
  });

  it.each([
    ["series", [["match[]", "http_requests_total"]]],
    [
      "series",
      [
        ["match[]", '{__name__=~"rpc_.*", le="+Inf"}'],
        ["match[]", "queue_depth"],
      ],
    ],
    ["labels", []],
    ["labels", [["match[]", "node_temperature_celsius"]]],
    ["label/job/values", []],
    ["label/__name__/values", []],
    ["label/le/values", [["match[]", '{job="api"}']]],
    // A range is [start, end]: series with samples in it, not those that stopped before or started after.
    ["series", [["match[]", "queue_depth"], ...range(END - 10 * MINUTE, END)]],
    ["series", [["match[]", "queue_depth"], ...range(START, START + 10 * MINUTE)]],
    ["series", [["match[]", '{__name__=~".+"}'], ...range(END - 10 * MINUTE, END)]],
    ["series", [["match[]", '{__name__=~".+"}'], ...range(START - 3 * HOUR, START - 2 * HOUR)]],
    ["series", [["match[]", '{__name__=~".+"}'], ...range(END + HOUR, END + 2 * HOUR)]],
    ["labels", range(START - 3 * HOUR, START - 2 * HOUR)],
    ["label/__name__/values", range(END + HOUR, END + 2 * HOUR)],
  ] as Array<[string, Array<[string, string]>]>)("%s %j", async (path, params) => {
    const [ours, theirs] = [await ask(boardUrl, path, params), await ask(prometheus!.url, path, params)];
    expect(theirs.status).toBe(200);
    expect(ours).toEqual(theirs);
  });
});

describe("the catalog endpoints over a range, series by series", () => {
  // Prometheus 2.42 judges label names and values by block (q1 stays listed while the head block holds it); a
  // board judges each series, so label values over a range are those of the series Prometheus lists over it.
  it.each([
    ["instance", "queue_depth", range(END - 10 * MINUTE, END)],
    ["instance", "queue_depth", range(START, START + 10 * MINUTE)],
    ["job", '{__name__=~".+"}', range(END - 10 * MINUTE, END)],
  ] as Array<[string, string, Array<[string, string]>]>)(
    "label/%s/values of %s over %j",
    async (name, match, params) => {
      const series = await ask(prometheus!.url, "series", [["match[]", match], ...params]);
      const values = [
        ...new Set(series.body.data.flatMap((labels: Record<string, string>) => labels[name] ?? [])),
      ].sort();
      const ours = await ask(boardUrl, `label/${name}/values`, [["match[]", match], ...params]);
      expect(ours).toEqual({ status: 200, body: { status: "success", data: values } });
    },
  );
});

describe("promtool against a board, credentials in the URL", () => {
  const promtool = async (base: string, args: string[]) =>
    (
      await run("promtool", [
        "query",
        ...args.slice(0, 1),
        "-o",
        "json",
        ...args.slice(1).map((a) => (a === "BASE" ? base : a)),
      ])
    ).stdout;
  const both = async (args: string[]) => {
    const withCredentials = boardUrl.replace("http://", `http://promtool:${viewer}@`);
    return Promise.all([promtool(withCredentials, args), promtool(prometheus!.url, args)]).then(
      ([ours, theirs]) => [JSON.parse(ours), JSON.parse(theirs)],
    );
  };
  const sortedItems = (items: Item[]) =>
    [...items].sort((x, y) => (labelText(x.metric) < labelText(y.metric) ? -1 : 1));

  it("query instant answers what Prometheus answers", async () => {
    const [ours, theirs] = await both([
      "instant",
      "BASE",
      "sum by (job) (http_requests_total)",
      `--time=${END / 1000}`,
    ]);
    expect(ours.length).toBe(2);
    expect(sortedItems(ours)).toEqual(sortedItems(theirs));
  });

  it("query range answers what Prometheus answers", async () => {
    const [ours, theirs] = await both([
      "range",
      "BASE",
      "max(node_temperature_celsius)",
      `--start=${(END - 600_000) / 1000}`,
      `--end=${END / 1000}`,
      "--step=1m",
    ]);
    expect(ours[0].values).toHaveLength(11);
    expect(ours).toEqual(theirs);
  });

  it("query series and query labels answer what Prometheus answers", async () => {
    const [series, theirSeries] = await both(["series", "BASE", "--match=node_temperature_celsius"]);
    expect(series).toHaveLength(3);
    expect(series).toEqual(theirSeries);
    const [labels, theirLabels] = await both(["labels", "BASE", "instance"]);
    expect(labels).toContain("10.0.0.1:9100");
    expect(labels).toEqual(theirLabels);
  });
});

describe("the requests Grafana's Prometheus data source sends", () => {
  const range: Array<[string, string]> = [
    ["start", String((END - 3_600_000) / 1000)],
    ["end", String(END / 1000)],
  ];

  it("save & test, buildinfo and a panel's range query", async () => {
    const test = await ask(
      boardUrl,
      "query",
      [
        ["query", "1+1"],
        ["time", String(END / 1000)],
      ],
      "POST",
    );
    expect(test.body).toEqual({
      status: "success",
      data: { resultType: "scalar", result: [END / 1000, "2"] },
    });
    const build = await ask(boardUrl, "status/buildinfo", []);
    expect(build.body.data.version).toMatch(/^2\.\d+\.\d+$/);
    const panel = await ask(
      boardUrl,
      "query_range",
      [["query", "sum by (job) (rate(http_requests_total[1m]))"], ...range, ["step", "15"]],
      "POST",
    );
    expect(panel.body.data.resultType).toBe("matrix");
    for (const { values } of panel.body.data.result as Item[])
      for (const [t, v] of values!) expect(typeof t === "number" && !Number.isNaN(Number(v))).toBe(true);
  });

  it("the label browser, variables, metadata, exemplars, rules and alerts", async () => {
    const names = await ask(boardUrl, "labels", [["match[]", '{job="api"}'], ...range], "POST");
    expect(names.body.data).toEqual(["__name__", "code", "instance", "job", "le"]);
    const values = await ask(boardUrl, "label/__name__/values", range);
    expect(values.body.data).toContain("rpc_duration_seconds_bucket");
    const series = await ask(boardUrl, "series", [["match[]", "queue_depth"], ...range]);
    expect(series.body.data).toEqual([{ __name__: "queue_depth", instance: "q1" }]);
    const metadata = await ask(boardUrl, "metadata", []);
    expect(metadata.body.data.http_requests_total[0].type).toBe("counter");
    const exemplars = await ask(boardUrl, "query_exemplars", [["query", "queue_depth"], ...range], "POST");
    expect(exemplars.body).toEqual({ status: "success", data: [] });
    expect((await ask(boardUrl, "rules", [])).body.data.groups).toEqual([]);
    expect((await ask(boardUrl, "alerts", [])).body.data.alerts).toEqual([]);
  });
});
