import { describe, expect, it } from "vitest";
import { importGrafana } from "../../worker/dashboards/grafana-import.ts";
import { DASHBOARD_LIMITS } from "../../worker/protocol/dashboards.ts";
import exported from "../fixtures/grafana-node-board.json";
import { answer, freshBoard, request, token } from "./helpers.ts";

async function call(board: string, path: string, init: RequestInit & { as?: string; json?: unknown } = {}) {
  const { as, json, ...rest } = init;
  const credential = as ?? (await token("admin", board));
  return answer(
    request(`/api/v1/boards/${board}/dashboards${path}`, {
      ...rest,
      headers: { authorization: `Bearer ${credential}`, "content-type": "application/json" },
      ...(json !== undefined ? { body: typeof json === "string" ? json : JSON.stringify(json) } : {}),
    }),
  );
}

const put = (board: string, uid: string, json: unknown, as?: string) =>
  call(board, `/${uid}`, { method: "PUT", json, ...(as ? { as } : {}) });

const cpu = {
  id: 1,
  title: "CPU",
  type: "timeseries",
  gridPos: { x: 0, y: 0, w: 12, h: 8 },
  targets: [{ refId: "A", expr: 'rate(node_cpu_seconds_total{mode!="idle"}[$__rate_interval])' }],
  unit: "percentunit",
  thresholds: [
    { value: null, color: "green" },
    { value: 0.9, color: "red" },
  ],
};

const hosts = { title: "Hosts", tags: ["linux"], panels: [cpu] };

describe("dashboards API", () => {
  it("creates a dashboard for an admin with Grafana's defaults filled in, and lists and serves it to viewers", async () => {
    const board = freshBoard();
    const viewer = await token("viewer", board);
    const created = await put(board, "hosts", hosts);
    expect(created.status).toBe(201);
    expect(created.body).toEqual({
      uid: "hosts",
      title: "Hosts",
      tags: ["linux"],
      time: { from: "now-6h", to: "now" },
      refresh: "",
      variables: [],
      panels: [{ ...cpu, targets: [{ ...cpu.targets[0], legendFormat: "" }] }],
      annotations: [],
      version: 1,
    });
    expect((await call(board, "", { as: viewer })).body).toEqual({
      dashboards: [{ uid: "hosts", title: "Hosts", tags: ["linux"], version: 1 }],
    });
    expect((await call(board, "/hosts", { as: viewer })).body).toEqual(created.body);
  });

  it("lets viewers read but not write, and no token of another board in", async () => {
    const board = freshBoard();
    const viewer = await token("viewer", board);
    await put(board, "hosts", hosts);
    const refused = await put(board, "hosts", { ...hosts, version: 1 }, viewer);
    expect([refused.status, refused.body.error.code]).toEqual([403, "wrong_token_kind"]);
    const deleted = await call(board, "/hosts", { method: "DELETE", as: viewer });
    expect([deleted.status, deleted.body.error.code]).toEqual([403, "wrong_token_kind"]);
    const other = await call(board, "", { as: await token("admin", freshBoard()) });
    expect([other.status, other.body.error.code]).toEqual([403, "wrong_board"]);
    expect((await call(board, "/hosts", { as: viewer })).body.version).toBe(1);
  });

  it("saves a PUT naming the stored version as the next one, and answers 409 version_conflict otherwise", async () => {
    const board = freshBoard();
    await put(board, "hosts", hosts);
    const second = await put(board, "hosts", { ...hosts, title: "Hosts v2", version: 1 });
    expect([second.status, second.body.version]).toEqual([200, 2]);
    const stale = await put(board, "hosts", { ...hosts, title: "lost update", version: 1 });
    expect(stale.status).toBe(409);
    expect(stale.body.error).toMatchObject({ code: "version_conflict", path: "version" });
    expect(stale.body.error.message).toContain("stored version is 2");
    const recreate = await put(board, "hosts", hosts);
    expect([recreate.status, recreate.body.error.code]).toEqual([409, "version_conflict"]);
    const ahead = await put(board, "new", { ...hosts, version: 3 });
    expect([ahead.status, ahead.body.error.code]).toEqual([409, "version_conflict"]);
    expect((await call(board, "/hosts")).body.title).toBe("Hosts v2");
  });

  it("keeps every saved version, serves each, and restores one by a PUT of it", async () => {
    const board = freshBoard();
    await put(board, "hosts", hosts);
    await put(board, "hosts", { ...hosts, title: "Renamed", version: 1 });
    const versions = await call(board, "/hosts/versions");
    expect(versions.body.versions).toEqual([
      { version: 2, savedAt: expect.any(Number), title: "Renamed" },
      { version: 1, savedAt: expect.any(Number), title: "Hosts" },
    ]);
    const first = await call(board, "/hosts/versions/1");
    expect([first.body.title, first.body.version]).toEqual(["Hosts", 1]);
    const restored = await put(board, "hosts", { ...first.body, version: 2 });
    expect([restored.status, restored.body.title, restored.body.version]).toEqual([200, "Hosts", 3]);
    const missing = await call(board, "/hosts/versions/9");
    expect([missing.status, missing.body.error.code]).toEqual([404, "unknown_version"]);
    const bad = await call(board, "/hosts/versions/0");
    expect([bad.status, bad.body.error.code]).toEqual([400, "invalid_version"]);
  });

  it(`keeps the newest ${DASHBOARD_LIMITS.versionsKept} versions of a dashboard`, async () => {
    const board = freshBoard();
    await put(board, "hosts", hosts);
    for (let version = 1; version <= DASHBOARD_LIMITS.versionsKept; version++)
      expect((await put(board, "hosts", { ...hosts, title: `v${version + 1}`, version })).status).toBe(200);
    const { body } = await call(board, "/hosts/versions");
    const kept = body.versions.map((v: { version: number }) => v.version);
    expect(kept).toHaveLength(DASHBOARD_LIMITS.versionsKept);
    expect([kept[0], kept.at(-1)]).toEqual([DASHBOARD_LIMITS.versionsKept + 1, 2]);
    expect((await call(board, "/hosts/versions/1")).status).toBe(404);
  });

  it("deletes a dashboard with its versions; the uid can then be created anew", async () => {
    const board = freshBoard();
    await put(board, "hosts", hosts);
    expect((await call(board, "/hosts", { method: "DELETE" })).body).toEqual({ deleted: "hosts" });
    expect((await call(board, "/hosts")).body.error.code).toBe("unknown_dashboard");
    expect((await call(board, "/hosts/versions")).status).toBe(404);
    expect((await call(board, "/hosts", { method: "DELETE" })).status).toBe(404);
    expect((await put(board, "hosts", hosts)).body.version).toBe(1);
  });

  it("answers 400 with the JSON path of a fault and stores nothing", async () => {
    const board = freshBoard();
    const faults: Array<[body: unknown, path: string, code?: string]> = [
      [
        { ...hosts, panels: [cpu, { ...cpu, id: 2, gridPos: { x: 12, y: 0, w: 13, h: 8 } }] },
        "panels[1].gridPos.w",
      ],
      [
        { ...hosts, panels: [cpu, cpu, cpu, { ...cpu, id: 4, gridPos: { ...cpu.gridPos, w: 0 } }] },
        "panels[3].gridPos.w",
      ],
      [{ ...hosts, panels: [cpu, cpu] }, "panels[1].id"],
      [{ ...hosts, panels: [{ ...cpu, type: "piechart" }] }, "panels[0].type"],
      [
        { ...hosts, panels: [{ ...cpu, targets: [cpu.targets[0], cpu.targets[0]] }] },
        "panels[0].targets[1].refId",
      ],
      [{ ...hosts, panels: [{ ...cpu, targets: [{ refId: "A" }] }] }, "panels[0].targets[0].expr"],
      [{ ...hosts, panels: [{ ...cpu, min: 5, max: 1 }] }, "panels[0].max"],
      [{ ...hosts, panels: [{ ...cpu, colour: "red" }] }, "panels[0].colour", "unknown_field"],
      [{ ...hosts, time: { from: "yesterday", to: "now" } }, "time.from"],
      [{ ...hosts, refresh: "often" }, "refresh"],
      [{ ...hosts, variables: [{ name: "job", type: "textbox", query: "" }] }, "variables[0].type"],
      [{ ...hosts, variables: [{ name: "$job", type: "constant", query: "node" }] }, "variables[0].name"],
      [{ ...hosts, title: "" }, "title"],
      [{ ...hosts, uid: "other" }, "uid"],
    ];
    for (const [body, path, code = "invalid_field"] of faults) {
      const { status, body: error } = await put(board, "hosts", body);
      expect({ path, status, error: error.error }).toMatchObject({
        path,
        status: 400,
        error: { code, path },
      });
    }
    const notJson = await put(board, "hosts", "{");
    expect([notJson.status, notJson.body.error.code]).toEqual([400, "invalid_json"]);
    const badUid = await put(board, "no spaces", hosts);
    expect([badUid.status, badUid.body.error.code]).toEqual([400, "invalid_uid"]);
    expect((await call(board, "")).body.dashboards).toEqual([]);
  });

  it(`refuses more than ${DASHBOARD_LIMITS.panelsPerDashboard} panels or ${DASHBOARD_LIMITS.targetsPerPanel} targets per panel, and bodies past 1 MiB`, async () => {
    const board = freshBoard();
    const panels = Array.from({ length: DASHBOARD_LIMITS.panelsPerDashboard + 1 }, (_, i) => ({
      ...cpu,
      id: i + 1,
    }));
    const tooMany = await put(board, "hosts", { ...hosts, panels });
    expect([tooMany.status, tooMany.body.error.path]).toEqual([400, "panels"]);
    expect((await put(board, "hosts", { ...hosts, panels: panels.slice(1) })).status).toBe(201);
    const targets = Array.from({ length: DASHBOARD_LIMITS.targetsPerPanel + 1 }, (_, i) => ({
      refId: `R${i}`,
      expr: "up",
    }));
    const tooManyTargets = await put(board, "other", { ...hosts, panels: [{ ...cpu, targets }] });
    expect([tooManyTargets.status, tooManyTargets.body.error.path]).toEqual([400, "panels[0].targets"]);
    const huge = { ...hosts, tags: ["x".repeat(DASHBOARD_LIMITS.bodyBytes)] };
    const tooBig = await put(board, "other", huge);
    expect([tooBig.status, tooBig.body.error.code]).toEqual([413, "payload_too_large"]);
  });

  it("refuses panel options nested deeper than 32 levels, in a PUT and in an import", async () => {
    const board = freshBoard();
    const deep = JSON.parse(`${'{"a":'.repeat(20_000)}1${"}".repeat(20_000)}`);
    const put_ = await put(board, "hosts", { ...hosts, panels: [{ ...cpu, options: deep }] });
    expect([put_.status, put_.body.error.path]).toEqual([400, "panels[0].options"]);
    const grafana = { title: "deep", panels: [{ type: "stat", options: deep, targets: [{ expr: "up" }] }] };
    const imported = await call(board, "/import", { method: "POST", json: grafana });
    expect(imported.status).toBe(201);
    expect(imported.body.dashboard.panels[0].options).toBeUndefined();
    expect(imported.body.notCarriedOver).toContainEqual({
      path: "panels[0].options",
      reason: "nested deeper than 32 levels",
    });
  });

  it(`keeps at most ${DASHBOARD_LIMITS.dashboardsPerBoard} dashboards per board`, async () => {
    const board = freshBoard();
    const admin = await token("admin", board);
    const small = { title: "small" };
    for (let i = 0; i < DASHBOARD_LIMITS.dashboardsPerBoard; i++)
      expect((await put(board, `d${i}`, small, admin)).status).toBe(201);
    const full = await put(board, "one-more", small, admin);
    expect([full.status, full.body.error.code]).toEqual([409, "too_many_dashboards"]);
    expect((await put(board, "d0", { ...small, version: 1 }, admin)).status).toBe(200);
  });

  it("imports a Grafana export with its rows, targets, units, thresholds and variables, and lists what it left out", async () => {
    const board = freshBoard();
    const imported = await call(board, "/import", { method: "POST", json: exported });
    expect(imported.status).toBe(201);
    const { dashboard, notCarriedOver } = imported.body;
    // What the import makes of it is specified in test/node/grafana-import.test.ts; here, that it is what is saved.
    const expected = importGrafana(exported);
    expect(dashboard).toEqual({ ...expected.dashboard, version: 1 });
    expect(dashboard.panels).toHaveLength(11);
    expect(notCarriedOver).toEqual(expected.notCarriedOver);
    expect((await call(board, "/hosts-overview")).body).toEqual(dashboard);

    const again = await call(board, "/import", { method: "POST", json: exported });
    expect([again.status, again.body.error.code]).toEqual([409, "version_conflict"]);
    const overwritten = await call(board, "/import?overwrite=true", { method: "POST", json: exported });
    expect([overwritten.status, overwritten.body.dashboard.version]).toEqual([200, 2]);
  });

  it("refuses an import that is not a Grafana dashboard, naming the field, and needs an admin token", async () => {
    const board = freshBoard();
    const untitled = await call(board, "/import", { method: "POST", json: { panels: [] } });
    expect([untitled.status, untitled.body.error.path]).toEqual([400, "title"]);
    const notPanels = await call(board, "/import", { method: "POST", json: { title: "x", panels: {} } });
    expect([notPanels.status, notPanels.body.error.path]).toEqual([400, "panels"]);
    const viewer = await token("viewer", board);
    const refused = await call(board, "/import", { method: "POST", json: exported, as: viewer });
    expect(refused.status).toBe(403);
    const badFlag = await call(board, "/import?overwrite=yes", { method: "POST", json: exported });
    expect([badFlag.status, badFlag.body.error.path]).toEqual([400, "overwrite"]);
    expect((await call(board, "")).body.dashboards).toEqual([]);
  });

  it("answers 405 naming the methods a dashboards route takes", async () => {
    const board = freshBoard();
    const wrong = await call(board, "/import", { method: "GET" });
    expect([wrong.status, wrong.body.error.code]).toEqual([405, "method_not_allowed"]);
    expect((await call(board, "", { method: "POST", json: hosts })).status).toBe(405);
  });
});
