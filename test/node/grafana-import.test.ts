import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { importGrafana } from "../../worker/dashboards/grafana-import.ts";
import { parseDashboard } from "../../worker/dashboards/model.ts";
import { ApiError } from "../../worker/http/errors.ts";

/** A Grafana 10 export of a node-exporter board, written for these tests after Grafana's JSON model. */
const exported = JSON.parse(
  readFileSync(new URL("../fixtures/grafana-node-board.json", import.meta.url), "utf8"),
);

function refusal(body: Record<string, unknown>): { code: string; path: string | undefined } {
  try {
    importGrafana(body);
  } catch (error) {
    if (error instanceof ApiError) return { code: error.code, path: error.path };
    throw error;
  }
  throw new Error("imported");
}

describe("importing a Grafana export", () => {
  const { dashboard, notCarriedOver } = importGrafana(exported);

  it("keeps the dashboard's uid, title, tags, range and refresh", () => {
    expect(dashboard).toMatchObject({
      uid: "hosts-overview",
      title: "Hosts overview",
      tags: ["linux", "node-exporter"],
      time: { from: "now-24h", to: "now" },
      refresh: "30s",
      version: 0,
    });
  });

  it("unfolds rows into headers, lays a collapsed row's panels under it and moves what follows down", () => {
    const layout = dashboard.panels.map(({ id, type, title, gridPos }) => [id, type, title, gridPos]);
    expect(layout).toEqual([
      [1, "text", "Quick CPU / Mem / Disk", { x: 0, y: 0, w: 24, h: 1 }],
      [2, "gauge", "CPU Busy", { x: 0, y: 1, w: 6, h: 4 }],
      [3, "stat", "RAM Used", { x: 6, y: 1, w: 6, h: 4 }],
      [4, "bargauge", "Disk Used", { x: 12, y: 1, w: 12, h: 4 }],
      [5, "text", "CPU / Memory details", { x: 0, y: 5, w: 24, h: 1 }],
      [6, "timeseries", "CPU by mode", { x: 0, y: 6, w: 12, h: 8 }],
      [7, "timeseries", "Memory", { x: 12, y: 6, w: 12, h: 8 }],
      [8, "text", "Network", { x: 0, y: 22, w: 24, h: 1 }],
      [9, "timeseries", "Network traffic", { x: 0, y: 23, w: 12, h: 8 }],
      [10, "timeseries", "Network errors", { x: 12, y: 23, w: 12, h: 8 }],
      [11, "text", "Notes", { x: 16, y: 31, w: 8, h: 8 }],
    ]);
    expect(dashboard.panels[0]?.options).toEqual({ mode: "markdown", content: "### Quick CPU / Mem / Disk" });
    expect(dashboard.panels[10]?.options).toEqual({
      content: "Runbook: check **dmesg** first.",
      mode: "markdown",
    });
  });

  it("carries fieldConfig defaults over as unit, decimals, min, max and threshold steps", () => {
    expect(dashboard.panels[1]).toMatchObject({
      unit: "percent",
      decimals: 1,
      min: 0,
      max: 100,
      thresholds: [
        { value: null, color: "green" },
        { value: 70, color: "#EAB839" },
        { value: 90, color: "red" },
      ],
      options: { reduceOptions: { calcs: ["lastNotNull"], fields: "", values: false } },
    });
    expect(dashboard.panels[3]).toMatchObject({ unit: "percentunit", min: 0, max: 1 });
  });

  it("keeps PromQL targets with their refId and legend, renaming a repeated refId and leaving out the rest", () => {
    expect(dashboard.panels[2]?.targets).toEqual([
      {
        refId: "A",
        expr: '100 * (1 - node_memory_MemAvailable_bytes{instance=~"$instance", job="$job"} / node_memory_MemTotal_bytes{instance=~"$instance", job="$job"})',
        legendFormat: "{{instance}}",
      },
    ]);
    expect(dashboard.panels[3]?.targets.map((t) => t.refId)).toEqual(["A"]);
    expect(dashboard.panels[6]?.targets.map((t) => [t.refId, t.legendFormat])).toEqual([
      ["A", "total"],
      ["B", "used"],
    ]);
    expect(dashboard.panels[9]?.targets.map((t) => t.legendFormat)).toEqual(["{{device}} errors"]);
  });

  it("carries query, custom, interval and constant variables over, the query as typed in either form", () => {
    expect(dashboard.variables).toEqual([
      {
        name: "job",
        label: "Job",
        type: "query",
        query: "label_values(node_uname_info, job)",
        multi: false,
        includeAll: false,
      },
      {
        name: "instance",
        label: "Host",
        type: "query",
        query: 'label_values(node_uname_info{job="$job"}, instance)',
        regex: "/([^:]+):.*/",
        multi: true,
        includeAll: true,
        allValue: ".+",
        current: { value: ["$__all"] },
      },
      { name: "interval", type: "interval", query: "1m,5m,10m,30m,1h", current: { value: "5m" } },
      {
        name: "nic",
        type: "custom",
        query: "eth0, eth1, wlan0",
        multi: true,
        includeAll: true,
        current: { value: "eth0" },
      },
      { name: "site", type: "constant", query: "eu-west" },
    ]);
  });

  it("turns Grafana's built-in annotations into the board's alert transitions and keeps PromQL ones", () => {
    expect(dashboard.annotations).toEqual([
      { name: "Annotations & Alerts", enable: true, iconColor: "rgba(0, 211, 255, 1)" },
      {
        name: "Reboots",
        enable: true,
        iconColor: "orange",
        expr: 'changes(node_boot_time_seconds{instance=~"$instance"}[5m]) > 0',
      },
    ]);
  });

  it("lists everything it did not carry over, with where it was and why", () => {
    expect(notCarriedOver).toEqual([
      { path: "templating.list[0]", reason: 'a "datasource" variable is not carried over' },
      { path: "templating.list[3].auto", reason: "the auto interval is not carried over" },
      { path: "templating.list[6]", reason: 'a "textbox" variable is not carried over' },
      { path: "panels[3].targets[1]", reason: "hidden in Grafana" },
      { path: "panels[3].fieldConfig.overrides", reason: "field overrides are not carried over" },
      {
        path: "panels[3].fieldConfig.defaults.thresholds.mode",
        reason: "percentage thresholds are taken as absolute",
      },
      { path: "panels[4].panels[2]", reason: 'panel type "piechart" is not drawn here' },
      { path: "panels[6].options", reason: "a graph panel, drawn as timeseries" },
      { path: "panels[7].targets[1]", reason: "a loki data source, not Prometheus" },
      { path: "panels[8]", reason: 'panel type "logs" is not drawn here' },
      { path: "annotations.list[2]", reason: "a loki data source, not Prometheus" },
    ]);
  });

  it("makes a dashboard that passes the checks a PUT gets", () => {
    expect(parseDashboard(dashboard)).toEqual(dashboard);
  });

  it("reads the API's {dashboard, meta} shape too, and makes a uid where the export has none", () => {
    const { uid: _uid, ...withoutUid } = exported;
    const wrapped = importGrafana({ dashboard: withoutUid, meta: { slug: "hosts" } });
    expect(wrapped.dashboard.uid).toMatch(/^[0-9a-f-]{36}$/);
    expect(wrapped.notCarriedOver[0]).toEqual({
      path: "uid",
      reason: "missing or not a uid; a new one was made",
    });
    expect(wrapped.dashboard.panels).toEqual(dashboard.panels);
  });

  it("clamps panels to the 24-column grid and takes the board's data source where none is named", () => {
    const { dashboard: clamped } = importGrafana({
      title: "t",
      panels: [{ type: "stat", gridPos: { x: 20, y: 0, w: 30, h: 0 }, targets: [{ expr: "up" }] }],
    });
    expect(clamped.panels[0]).toMatchObject({
      gridPos: { x: 0, y: 0, w: 24, h: 1 },
      targets: [{ refId: "A", expr: "up" }],
    });
  });

  it("refuses an export with no title or panels that are not an array, naming the field", () => {
    expect(refusal({ panels: [] })).toEqual({ code: "invalid_field", path: "title" });
    expect(refusal({ title: "x", panels: {} })).toEqual({ code: "invalid_field", path: "panels" });
  });
});
