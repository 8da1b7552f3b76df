import { type Context, Hono } from "hono";
import * as v from "valibot";
import type { TokenKind } from "../auth/tokens.ts";
import { hubStub } from "../board/stubs.ts";
import type { SaveResult } from "../dashboards/dashboard-store.ts";
import { importGrafana } from "../dashboards/grafana-import.ts";
import { parseDashboard, UID } from "../dashboards/model.ts";
import type { Env } from "../env.ts";
import { VIEWER_KINDS } from "../http/credentials.ts";
import { ApiError } from "../http/errors.ts";
import { adminBodyLimit, jsonObject } from "../http/json-body.ts";
import { methodNotAllowed } from "../http/methods.ts";
import { knownParams } from "../http/params.ts";
import { validate } from "../http/schema.ts";
import { DASHBOARD_LIMITS, type Dashboard } from "../protocol/dashboards.ts";
import { authorizeBoard } from "./board-access.ts";

type DashboardsContext = { Bindings: Env };

const BASE = "/boards/:board/dashboards";
/** `import` names the import route, so no dashboard may take it as its uid. */
const PathUid = v.pipe(
  UID,
  v.check((uid) => uid !== "import", "a uid other than import"),
);
const VersionNumber = v.pipe(v.string(), v.regex(/^[1-9]\d{0,15}$/, "a version number"), v.transform(Number));

/** The hub of the path's board, once the request's credential is one of `kinds` for it. */
async function hub(c: Context<DashboardsContext>, kinds: readonly TokenKind[]) {
  return hubStub(c.env, (await authorizeBoard(c, kinds)).name);
}

const pathUid = (c: Context) => validate(PathUid, c.req.param("uid"), "invalid_uid");

const unknownDashboard = () =>
  new ApiError(404, "unknown_dashboard", "this board has no dashboard by that uid", "uid");

/** The dashboard the hub found (typed as stored: the hub's answer is its structured clone), or `missing`. */
function found(dashboard: Dashboard | null, missing: () => ApiError): Dashboard {
  if (!dashboard) throw missing();
  return dashboard;
}

/** The answer to a save: 201 for a new dashboard, 200 for a new version; 409 for a stale version or a full board. */
function saved(result: SaveResult): { dashboard: Dashboard; status: 200 | 201 } {
  if ("full" in result)
    throw new ApiError(
      409,
      "too_many_dashboards",
      `a board keeps at most ${DASHBOARD_LIMITS.dashboardsPerBoard} dashboards`,
    );
  if ("conflict" in result)
    throw new ApiError(
      409,
      "version_conflict",
      result.conflict === null
        ? "there is no such dashboard to replace; create it with version 0"
        : `the stored version is ${result.conflict}; fetch it and apply your change to that`,
      "version",
    );
  return { dashboard: result.saved, status: result.created ? 201 : 200 };
}

/**
 * `/boards/:board/dashboards`: the board's saved dashboards (any credential of the board reads them), saved,
 * deleted and imported from Grafana by admin tokens, every save kept as a version.
 */
export const dashboardRoutes = new Hono<DashboardsContext>()
  .get(BASE, knownParams(), async (c) => {
    return c.json({ dashboards: await (await hub(c, VIEWER_KINDS)).dashboards() });
  })
  .all(BASE, methodNotAllowed("GET"))
  .post(`${BASE}/import`, knownParams("overwrite"), adminBodyLimit(DASHBOARD_LIMITS.bodyBytes), async (c) => {
    const board = await hub(c, ["admin"]);
    const overwrite = c.req.query("overwrite");
    if (overwrite !== undefined && overwrite !== "true" && overwrite !== "false")
      throw new ApiError(400, "invalid_parameter", "overwrite is true or false", "overwrite");
    const { dashboard, notCarriedOver } = importGrafana(await jsonObject(c, "a Grafana dashboard"));
    const stored = overwrite === "true" ? await board.dashboard(dashboard.uid) : null;
    const checked = parseDashboard({ ...dashboard, version: stored?.version ?? 0 });
    const result = saved(await board.saveDashboard(checked));
    return c.json({ dashboard: result.dashboard, notCarriedOver }, result.status);
  })
  .all(`${BASE}/import`, methodNotAllowed("POST"))
  .get(`${BASE}/:uid`, knownParams(), async (c) => {
    const dashboard = await (await hub(c, VIEWER_KINDS)).dashboard(pathUid(c));
    return c.json(found(dashboard, unknownDashboard));
  })
  .put(`${BASE}/:uid`, knownParams(), adminBodyLimit(DASHBOARD_LIMITS.bodyBytes), async (c) => {
    const board = await hub(c, ["admin"]);
    const uid = pathUid(c);
    const body = await jsonObject(c, "one dashboard");
    const dashboard = parseDashboard({ uid, ...body });
    if (dashboard.uid !== uid)
      throw new ApiError(400, "invalid_field", `the uid must be the path's, ${uid}`, "uid");
    const result = saved(await board.saveDashboard(dashboard));
    return c.json(result.dashboard, result.status);
  })
  .delete(`${BASE}/:uid`, knownParams(), async (c) => {
    const board = await hub(c, ["admin"]);
    const uid = pathUid(c);
    if (!(await board.deleteDashboard(uid))) throw unknownDashboard();
    return c.json({ deleted: uid });
  })
  .all(`${BASE}/:uid`, methodNotAllowed("GET", "PUT", "DELETE"))
  .get(`${BASE}/:uid/versions`, knownParams(), async (c) => {
    const versions = await (await hub(c, VIEWER_KINDS)).dashboardVersions(pathUid(c));
    if (!versions) throw unknownDashboard();
    return c.json({ versions });
  })
  .all(`${BASE}/:uid/versions`, methodNotAllowed("GET"))
  .get(`${BASE}/:uid/versions/:n`, knownParams(), async (c) => {
    const board = await hub(c, VIEWER_KINDS);
    const uid = pathUid(c);
    const version = validate(VersionNumber, c.req.param("n"), "invalid_version");
    const unknownVersion = () =>
      new ApiError(404, "unknown_version", "this dashboard has no kept version by that number", "n");
    return c.json(found(await board.dashboard(uid, version), unknownVersion));
  })
  .all(`${BASE}/:uid/versions/:n`, methodNotAllowed("GET"));
