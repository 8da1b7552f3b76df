/**
 * Saved dashboards of PromQL panels, named field by field after Grafana's dashboard JSON model so an export maps
 * onto them (https://grafana.com/docs/grafana/latest/dashboards/build-dashboards/view-dashboard-json-model/).
 * Shared by the Worker (which checks and stores them) and the dashboard (which draws them).
 */

export const PANEL_TYPES = ["timeseries", "stat", "gauge", "bargauge", "table", "heatmap", "text"] as const;
export type PanelType = (typeof PANEL_TYPES)[number];

/** Columns of the grid panels are placed on, as in Grafana; `y` and `h` count rows of 30 px. */
export const GRID_COLUMNS = 24;

/** What a board keeps of dashboards, and how big one may be. */
export const DASHBOARD_LIMITS = {
  dashboardsPerBoard: 100,
  /** Versions kept per dashboard, the current one included; older ones are dropped as new ones are saved. */
  versionsKept: 20,
  panelsPerDashboard: 200,
  targetsPerPanel: 20,
  variablesPerDashboard: 50,
  annotationsPerDashboard: 20,
  thresholdsPerPanel: 20,
  tagsPerDashboard: 20,
  /** A PUT or import body (a Grafana export included), as sent. */
  bodyBytes: 1024 * 1024,
  exprLength: 8192,
  titleLength: 256,
  gridRows: 10_000,
  /** How deep a panel's `options` may nest (deeper JSON overflows the stack of whatever walks it). */
  optionsDepth: 32,
} as const;

/** A JSON object, its values left untyped (a recursive type defeats the RPC and JSON typings). */
export type JsonObject = { [key: string]: string | number | boolean | null | object };

export interface GridPos {
  x: number;
  y: number;
  w: number;
  h: number;
}

export interface Target {
  refId: string;
  expr: string;
  /** Series names as `{{label}}` templates; empty: the series' labels. */
  legendFormat: string;
}

/** A threshold step: from `value` up (the base step's value is null: from −∞), drawn in `color`. */
export interface Threshold {
  value: number | null;
  color: string;
}

export interface Panel {
  id: number;
  title: string;
  type: PanelType;
  gridPos: GridPos;
  targets: Target[];
  unit?: string;
  decimals?: number;
  min?: number;
  max?: number;
  thresholds?: Threshold[];
  /** The panel type's own options (legend, text content, …), kept as given. */
  options?: JsonObject;
}

/** The value(s) a variable has; `$__all` stands for All. */
export interface VariableCurrent {
  value: string | string[];
}

export const ALL_VALUE = "$__all";

interface VariableBase {
  name: string;
  label?: string;
  current?: VariableCurrent;
}

/** Values from the board's Prometheus API: `label_values(…)`, `query_result(…)` or `metrics(…)`. */
export interface QueryVariable extends VariableBase {
  type: "query";
  query: string;
  /** A regex each value must match; its first capture group, if any, is the value. */
  regex?: string;
  multi: boolean;
  includeAll: boolean;
  /** What All interpolates to instead of every value (e.g. `.*`). */
  allValue?: string;
}

/** Values listed as `a, b, c`. */
export interface CustomVariable extends VariableBase {
  type: "custom";
  query: string;
  multi: boolean;
  includeAll: boolean;
  allValue?: string;
}

/** A duration chosen from `1m,5m,1h`. */
export interface IntervalVariable extends VariableBase {
  type: "interval";
  query: string;
}

/** One fixed value. */
export interface ConstantVariable extends VariableBase {
  type: "constant";
  query: string;
}

export type Variable = QueryVariable | CustomVariable | IntervalVariable | ConstantVariable;

/** Events drawn on time series panels: the board's alert transitions (no `expr`) or a PromQL expression's. */
export interface Annotation {
  name: string;
  enable: boolean;
  iconColor: string;
  expr?: string;
}

export interface Dashboard {
  uid: string;
  title: string;
  tags: string[];
  /** Grafana's time range: `now-6h`, `now`, `now-1d/d`, or an absolute ISO 8601 time. */
  time: { from: string; to: string };
  /** How often panels refresh (`30s`, `1m`), or "" for never. */
  refresh: string;
  variables: Variable[];
  panels: Panel[];
  annotations: Annotation[];
  /** 1 for the first save, one more for each; a PUT names the version it replaces. */
  version: number;
}

/** A dashboard as listed. */
export type DashboardSummary = Pick<Dashboard, "uid" | "title" | "tags" | "version">;

/** A dashboard's saved version as listed. */
export interface DashboardVersionInfo {
  version: number;
  savedAt: number;
  title: string;
}

/** Something of a Grafana export that an import left out, and where it was. */
export interface ImportNote {
  path: string;
  reason: string;
}

export interface ImportResult {
  dashboard: Dashboard;
  notCarriedOver: ImportNote[];
}
