import { type Context, Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import type { TokenKind } from "../auth/tokens.ts";
import { boardConfig } from "../board/config.ts";
import { checkBoard } from "../board/name.ts";
import { shardSid } from "../board/shards.ts";
import { hubStub, queriedShard, shardStub } from "../board/stubs.ts";
import type { Env } from "../env.ts";
import { authorize, VIEWER_KINDS } from "../http/credentials.ts";
import { ApiError } from "../http/errors.ts";
import { QUERY_STREAM_PATH } from "../live/viewer-requests.ts";
import { PROMQL_LIMITS } from "../prometheus/limits.ts";
import { hubQueryStreamUrl, liveStreamParams } from "../prometheus/live-params.ts";
import {
  limitParam,
  MAX_TIME,
  MIN_TIME,
  matchParams,
  parseDuration,
  parseTime,
  timeParam,
} from "../prometheus/params.ts";
import { prometheusAlerts, prometheusRules } from "../prometheus/rules.ts";
import { mergeCatalog, type PromqlAnswer, type PromqlRequest, runPromql } from "../prometheus/run-query.ts";
import { ShardListCache } from "../prometheus/shard-list.ts";
import {
  type LabelMatcher,
  PromQLError,
  type PromQLErrorType,
  parseSeriesSelector,
} from "../promql/index.ts";
import { alertsForApi, ruleGroupsForApi } from "../rules/prometheus-api.ts";
import { ruleFileName } from "../rules/rule-file.ts";
import type { CatalogQuery } from "../shard/promql-labels.ts";

/** The Prometheus version a board claims: Grafana picks the API features it uses by it (2.42 is Debian's here). */
export const PROMETHEUS_VERSION = "2.42.0";
/** Who may query: a board's viewers and admins, by Bearer token or HTTP Basic with the token as password. */
const QUERY_KINDS: readonly TokenKind[] = ["viewer", "admin"];
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

const STATUS: Record<PromQLErrorType, ContentfulStatusCode> = {
  bad_data: 400,
  execution: 422,
  timeout: 503,
  canceled: 503,
  internal: 500,
};

type PrometheusEnv = { Bindings: Env; Variables: { board: string; params: URLSearchParams } };
type PrometheusContext = Context<PrometheusEnv>;

/** Errors in Prometheus's shape; the board's own refusals (credentials, methods) keep their status and code. */
function prometheusError(error: Error, c: Context): Response {
  if (error instanceof PromQLError)
    return c.json(
      { status: "error", errorType: error.errorType, error: error.apiMessage },
      STATUS[error.errorType],
    );
  if (error instanceof ApiError)
    return c.json(
      { status: "error", errorType: error.code, error: error.message },
      error.status,
      error.headers,
    );
  console.error(`worker ${c.req.method} ${new URL(c.req.url).pathname}: unhandled error`, error);
  return c.json({ status: "error", errorType: "internal", error: "internal error" }, 500);
}

const success = (c: Context, data: unknown) => c.json({ status: "success", data });

/** URL and form-encoded body parameters together; a body value comes first, as Prometheus's FormValue reads it. */
async function readParams(c: Context): Promise<URLSearchParams> {
  const params = new URLSearchParams();
  const type = (c.req.header("content-type") ?? "").split(";")[0]!.trim().toLowerCase();
  if (c.req.method === "POST" && type === "application/x-www-form-urlencoded")
    for (const [name, value] of new URLSearchParams(new TextDecoder().decode(await c.req.arrayBuffer())))
      params.append(name, value);
  for (const [name, value] of new URL(c.req.url).searchParams) params.append(name, value);
  return params;
}

/** A query's own `timeout`, at most the board's. */
function timeoutParam(params: URLSearchParams): number {
  const text = params.get("timeout");
  if (text === null || text === "") return PROMQL_LIMITS.timeoutMs;
  const ms = parseDuration(text, "timeout");
  return ms > 0 ? Math.min(ms, PROMQL_LIMITS.timeoutMs) : PROMQL_LIMITS.timeoutMs;
}

/** The query's answer (or error, worded as Prometheus's API words it), its cost in headers. */
function queryResponse(c: PrometheusContext, answer: PromqlAnswer): Response {
  const { cost } = answer;
  c.header("x-edgepulse-rows-read", String(cost.rowsRead));
  c.header("x-edgepulse-bytes-moved", String(cost.bytesMoved));
  c.header("x-edgepulse-samples", String(cost.samples));
  c.header("x-edgepulse-select-ms", String(cost.selectMs));
  c.header("x-edgepulse-sources", cost.sources.join(",") || "none");
  if ("data" in answer) return success(c, answer.data);
  throw new PromQLError(answer.error.errorType, answer.error.error);
}

/** Boards' shard lists, kept in this isolate (see `ShardListCache`). */
const shardLists = new ShardListCache();

/** The board's shards, every layout's, as its hub knows them. */
function boardShardIds(c: PrometheusContext): Promise<number[]> {
  const { shards } = boardConfig(c.env);
  const layout = Array.from({ length: shards }, (_, i) => shardSid(shards, i));
  return shardLists.get(c.var.board, layout, () => hubStub(c.env, c.var.board).shardIds());
}

/**
 * Runs a query here in the Worker, not on the board's hub, so a heavy query never holds up the hub's live viewers;
 * the selectors fan out to the shards (see ShardQuerier).
 */
async function runQuery(c: PrometheusContext, request: PromqlRequest): Promise<Response> {
  const shards = (await boardShardIds(c)).map((sid) => queriedShard(c.env, c.var.board, sid));
  return queryResponse(c, await runPromql(shards, request, Date.now()));
}

function matcherSets(params: URLSearchParams): LabelMatcher[][] {
  return matchParams(params).map((text) => parseSeriesSelector(text));
}

/** The question of the series, labels and label values endpoints. */
function catalogQuery(params: URLSearchParams, want: CatalogQuery["want"]): CatalogQuery {
  const start = timeParam(params, "start", MIN_TIME);
  const end = timeParam(params, "end", MAX_TIME);
  if (end < start) throw new PromQLError("bad_data", "end timestamp must not be before start time");
  const limit = limitParam(params);
  return {
    matchers: matcherSets(params),
    start,
    end,
    want,
    limit: limit > 0 ? Math.min(limit, PROMQL_LIMITS.maxCatalogEntries) : PROMQL_LIMITS.maxCatalogEntries,
  };
}

async function catalog(c: PrometheusContext, query: CatalogQuery): Promise<Response> {
  const shards = (await boardShardIds(c)).map((sid) => shardStub(c.env, c.var.board, sid));
  const parts = await Promise.all(shards.map((shard) => shard.promqlCatalog(query)));
  const answer = mergeCatalog(parts, query.limit);
  const data = "series" in answer ? answer.series : answer.strings;
  if (answer.truncated && query.limit === PROMQL_LIMITS.maxCatalogEntries)
    throw new PromQLError(
      "execution",
      `the answer holds more than ${query.limit} entries; narrow it with match[]`,
    );
  return success(c, data);
}

const API = "/boards/:board/prometheus/api/v1";

/**
 * The Prometheus HTTP API of a board, under `/api/v1/boards/:board/prometheus` as a Prometheus base URL (Grafana's
 * data source, promtool): queries run in the Worker over the board's shards (see `runPromql`).
 */
export const prometheusRoutes = new Hono<PrometheusEnv>()
  .get("/boards/:board/prometheus/live", async (c) => {
    const board = checkBoard(c.req.param("board"));
    await authorize(c.req.raw, c.env, VIEWER_KINDS, board);
    const checked = liveStreamParams(new URL(c.req.url).searchParams, c.req.header("last-event-id") ?? null);
    if (c.req.method === "HEAD") return c.body(null, 200, { "content-type": "text/event-stream" });
    const url = hubQueryStreamUrl(c.req.url, QUERY_STREAM_PATH, checked);
    const upstream = await hubStub(c.env, board).fetch(new Request(url, { headers: c.req.raw.headers }));
    return new Response(upstream.body, { status: upstream.status, headers: new Headers(upstream.headers) });
  })
  .use(`${API}/*`, async (c, next) => {
    const board = checkBoard(c.req.param("board")!);
    await authorize(c.req.raw, c.env, QUERY_KINDS, board);
    c.set("board", board);
    await next();
  })
  .use(
    `${API}/*`,
    bodyLimit({
      maxSize: PROMQL_LIMITS.maxBodyBytes,
      onError: () => {
        throw new PromQLError("bad_data", `request body is larger than ${PROMQL_LIMITS.maxBodyBytes} bytes`);
      },
    }),
  )
  .use(`${API}/*`, async (c, next) => {
    c.set("params", await readParams(c));
    await next();
  })
  .on(["GET", "POST"], `${API}/query`, (c) => {
    const params = c.var.params;
    const time = timeParam(params, "time", Date.now());
    return runQuery(c, { expr: params.get("query") ?? "", time, timeoutMs: timeoutParam(params) });
  })
  .on(["GET", "POST"], `${API}/query_range`, (c) => {
    const params = c.var.params;
    const start = parseTime(params.get("start") ?? "", "start");
    const end = parseTime(params.get("end") ?? "", "end");
    const step = parseDuration(params.get("step") ?? "", "step");
    // The engine refuses an end before start, a step ≤ 0 and too many steps before it reads anything.
    return runQuery(c, {
      expr: params.get("query") ?? "",
      start,
      end,
      step,
      timeoutMs: timeoutParam(params),
    });
  })
  .on(["GET", "POST"], `${API}/series`, (c) => {
    if (matchParams(c.var.params).length === 0)
      throw new PromQLError("bad_data", "no match[] parameter provided");
    return catalog(c, catalogQuery(c.var.params, { series: true }));
  })
  .on(["GET", "POST"], `${API}/labels`, (c) => catalog(c, catalogQuery(c.var.params, { names: true })))
  .get(`${API}/label/:name/values`, (c) => {
    const name = c.req.param("name");
    if (!LABEL_NAME.test(name))
      throw new PromQLError("bad_data", `invalid label name: ${JSON.stringify(name)}`);
    return catalog(c, catalogQuery(c.var.params, { values: name }));
  })
  .get(`${API}/metadata`, async (c) => {
    const metric = c.var.params.get("metric");
    const limit = limitParam(c.var.params);
    const metadata: Record<string, Array<{ type: string; help: string; unit: string }>> = {};
    for (const series of await hubStub(c.env, c.var.board).listSeries()) {
      if ((metric && series.metric !== metric) || metadata[series.metric]) continue;
      if (limit > 0 && Object.keys(metadata).length >= limit) break;
      const type = series.kind === "counter" || series.kind === "gauge" ? series.kind : "unknown";
      metadata[series.metric] = [{ type, help: "", unit: series.unit ?? "" }];
    }
    return success(c, metadata);
  })
  .on(["GET", "POST"], `${API}/query_exemplars`, (c) => success(c, []))
  .get(`${API}/status/buildinfo`, (c) =>
    success(c, {
      version: PROMETHEUS_VERSION,
      revision: "edgepulse",
      branch: "edgepulse",
      buildUser: "edgepulse",
      buildDate: "",
      goVersion: "",
    }),
  )
  .get(`${API}/rules`, async (c) => {
    const hub = hubStub(c.env, c.var.board);
    const [{ rules, active }, file] = await Promise.all([hub.alerts(), hub.ruleFile()]);
    const type = c.var.params.get("type");
    const fileGroups = ruleGroupsForApi(file, file.states, ruleFileName(c.var.board), type);
    const { groups } = prometheusRules(rules, active, type);
    return success(c, { groups: [...fileGroups, ...groups] });
  })
  .get(`${API}/alerts`, async (c) => {
    const hub = hubStub(c.env, c.var.board);
    const [{ rules, active }, file] = await Promise.all([hub.alerts(), hub.ruleFile()]);
    const { alerts } = prometheusAlerts(rules, active);
    return success(c, { alerts: [...alertsForApi(file.states), ...alerts] });
  })
  .onError(prometheusError);
