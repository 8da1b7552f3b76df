import {
  GRID_COLUMNS,
  type JsonObject,
  DASHBOARD_LIMITS as L,
  PANEL_TYPES,
  type Panel,
  type PanelType,
  type Target,
  type Threshold,
} from "../protocol/dashboards.ts";
import {
  type ImportContext,
  isObject,
  isPromQL,
  type Json,
  note,
  refuse,
  sourceKind,
} from "./grafana-source.ts";
import { nestsAtMost } from "./model.ts";

/** Grafana's older panel types and the one each is drawn as (Grafana 8+ migrates them the same way). */
const RENAMED: Record<string, PanelType> = { graph: "timeseries", singlestat: "stat", "table-old": "table" };

const int = (value: unknown, fallback: number, min: number, max: number) =>
  typeof value === "number" && Number.isInteger(value) ? Math.min(max, Math.max(min, value)) : fallback;
const finite = (value: unknown) => (typeof value === "number" && Number.isFinite(value) ? value : undefined);
const string = (value: unknown, max: number) => (typeof value === "string" ? value.slice(0, max) : undefined);

/** A grid position kept on the 24-column grid, `y` moved by `dy` (rows laid out above it). */
function gridPos(raw: unknown, dy: number): Panel["gridPos"] {
  const pos = isObject(raw) ? raw : {};
  const w = int(pos.w, 12, 1, GRID_COLUMNS);
  const x = int(pos.x, 0, 0, GRID_COLUMNS - w);
  return { x, y: int(pos.y, 0, 0, L.gridRows) + dy, w, h: int(pos.h, 8, 1, L.gridRows) };
}

/** A Grafana target as ours (its refId as Grafana had it), or why it is left out. */
function target(raw: unknown, panelKind: string, context: ImportContext): Target | string {
  if (!isObject(raw)) return "not an object";
  const kind =
    panelKind === "mixed" || raw.datasource !== undefined ? sourceKind(raw.datasource, context) : panelKind;
  if (!isPromQL(kind)) return `a ${kind} data source, not Prometheus`;
  if (raw.hide === true) return "hidden in Grafana";
  if (typeof raw.expr !== "string" || raw.expr.trim() === "") return "no PromQL expression (expr)";
  if (raw.expr.length > L.exprLength) return `expr longer than ${L.exprLength} characters`;
  return {
    refId: typeof raw.refId === "string" ? raw.refId : "",
    expr: raw.expr,
    legendFormat: string(raw.legendFormat, L.titleLength) ?? "",
  };
}

/** A panel's PromQL targets, each with a refId of its own (Grafana's A, B, … where it had none or a repeat). */
function targets(panel: Json, path: string, context: ImportContext): Target[] {
  const panelKind = sourceKind(panel.datasource, context);
  const kept: Target[] = [];
  for (const [i, raw] of (Array.isArray(panel.targets) ? panel.targets : []).entries()) {
    const at = `${path}.targets[${i}]`;
    const converted = target(raw, panelKind, context);
    if (typeof converted === "string") note(context, at, converted);
    else if (kept.length === L.targetsPerPanel)
      note(context, at, `past ${L.targetsPerPanel} targets per panel`);
    else {
      const used = new Set(kept.map((t) => t.refId));
      if (!/^[A-Za-z0-9_-]{1,16}$/.test(converted.refId) || used.has(converted.refId))
        // At most 20 targets, so a letter is free.
        converted.refId = [..."ABCDEFGHIJKLMNOPQRSTUVWXYZ"].find((letter) => !used.has(letter))!;
      kept.push(converted);
    }
  }
  return kept;
}

/** `fieldConfig.defaults`: unit, decimals, min, max and threshold steps. */
function fieldDefaults(panel: Json, path: string, context: ImportContext): Partial<Panel> {
  const fieldConfig = isObject(panel.fieldConfig) ? panel.fieldConfig : {};
  const defaults = isObject(fieldConfig.defaults) ? fieldConfig.defaults : {};
  if (Array.isArray(fieldConfig.overrides) && fieldConfig.overrides.length > 0)
    note(context, `${path}.fieldConfig.overrides`, "field overrides are not carried over");
  const fields: Partial<Panel> = {};
  const unit = string(defaults.unit, 64);
  if (unit) fields.unit = unit;
  if (typeof defaults.decimals === "number") fields.decimals = int(defaults.decimals, 0, 0, 20);
  const min = finite(defaults.min);
  const max = finite(defaults.max);
  if (min !== undefined) fields.min = min;
  if (max !== undefined && (min === undefined || max >= min)) fields.max = max;
  const thresholds = isObject(defaults.thresholds) ? defaults.thresholds : {};
  if (thresholds.mode === "percentage")
    note(
      context,
      `${path}.fieldConfig.defaults.thresholds.mode`,
      "percentage thresholds are taken as absolute",
    );
  if (Array.isArray(thresholds.steps)) {
    fields.thresholds = thresholds.steps
      .filter(isObject)
      .slice(0, L.thresholdsPerPanel)
      .map(
        (step): Threshold => ({
          value: finite(step.value) ?? null,
          color: string(step.color, 64) ?? "green",
        }),
      );
  }
  return fields;
}

/** One Grafana panel as ours, or null (noted) when it is of a type not drawn here. */
function panel(raw: Json, path: string, dy: number, context: ImportContext): Panel | null {
  const grafanaType = typeof raw.type === "string" ? raw.type : "";
  const type = (PANEL_TYPES as readonly string[]).includes(grafanaType)
    ? (grafanaType as PanelType)
    : RENAMED[grafanaType];
  if (!type) {
    note(context, path, `panel type ${JSON.stringify(grafanaType.slice(0, 64))} is not drawn here`);
    return null;
  }
  if (type !== grafanaType) note(context, `${path}.options`, `a ${grafanaType} panel, drawn as ${type}`);
  const deep = isObject(raw.options) && !nestsAtMost(raw.options, L.optionsDepth);
  if (deep) note(context, `${path}.options`, `nested deeper than ${L.optionsDepth} levels`);
  // Parsed from JSON, so JSON all through.
  const options =
    type === grafanaType && isObject(raw.options) && !deep ? (raw.options as JsonObject) : undefined;
  return {
    id: 0,
    title: string(raw.title, L.titleLength) ?? "",
    type,
    gridPos: gridPos(raw.gridPos, dy),
    targets: type === "text" ? [] : targets(raw, path, context),
    ...fieldDefaults(raw, path, context),
    ...(options ? { options } : {}),
  };
}

/** A row's header, kept as a one-row text panel across the grid (rows do not fold here). */
function rowHeader(row: Json, y: number): Panel {
  const title = string(row.title, L.titleLength) ?? "";
  return {
    id: 0,
    title,
    type: "text",
    gridPos: { x: 0, y, w: GRID_COLUMNS, h: 1 },
    targets: [],
    options: { mode: "markdown", content: `### ${title}` },
  };
}

const top = (raw: unknown) =>
  isObject(raw) && isObject(raw.gridPos) ? int(raw.gridPos.y, 0, 0, L.gridRows) : 0;
const bottom = (raw: unknown) =>
  isObject(raw) && isObject(raw.gridPos) ? top(raw) + int(raw.gridPos.h, 8, 1, L.gridRows) : 0;

/**
 * A Grafana export's `panels`, rows unfolded: a row becomes a header, the panels of a collapsed row (which Grafana
 * keeps inside it, placed as if it were open) follow it, and what comes after moves down to make room. Panels get
 * ids 1, 2, … in the order they are laid out.
 */
export function importPanels(raw: unknown, context: ImportContext): Panel[] {
  if (raw === undefined) return [];
  if (!Array.isArray(raw)) return refuse("panels", "panels must be an array");
  const order = raw.map((item, i) => ({ item, i })).sort((a, b) => top(a.item) - top(b.item) || a.i - b.i);
  const panels: Panel[] = [];
  let dy = 0;
  const add = (item: Panel | null, path: string) => {
    if (!item) return;
    if (panels.length === L.panelsPerDashboard)
      return note(context, path, `past ${L.panelsPerDashboard} panels per dashboard`);
    panels.push({ ...item, id: panels.length + 1 });
  };
  for (const { item, i } of order) {
    const path = `panels[${i}]`;
    if (!isObject(item)) {
      note(context, path, "not an object");
      continue;
    }
    if (item.type !== "row") {
      add(panel(item, path, dy, context), path);
      continue;
    }
    const y = top(item) + dy;
    add(rowHeader(item, y), path);
    const nested = Array.isArray(item.panels) ? item.panels : [];
    if (item.collapsed !== true || nested.length === 0) continue;
    // Nested panels sit just under the header; the rows' space below grows by what they take.
    const first = Math.min(...nested.map(top));
    const shift = y + 1 - first;
    nested.forEach((child: unknown, j) => {
      const at = `${path}.panels[${j}]`;
      if (isObject(child)) add(panel(child, at, shift, context), at);
      else note(context, at, "not an object");
    });
    dy += Math.max(...nested.map(bottom)) - first;
  }
  return panels;
}
