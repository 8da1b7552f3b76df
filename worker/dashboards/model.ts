import * as v from "valibot";
import { ApiError } from "../http/errors.ts";
import { validate } from "../http/schema.ts";
import {
  type Dashboard,
  GRID_COLUMNS,
  type JsonObject,
  DASHBOARD_LIMITS as L,
  PANEL_TYPES,
} from "../protocol/dashboards.ts";
import { refuse } from "./grafana-source.ts";

const text = (max: number) => v.pipe(v.string(), v.maxLength(max));
const name = (what: string) => v.pipe(v.string(), v.regex(/^[A-Za-z_][A-Za-z0-9_]{0,63}$/, what));
const finite = v.pipe(v.number(), v.finite());
const count = (max: number) => v.pipe(v.number(), v.safeInteger(), v.minValue(0), v.maxValue(max));

/** Whether a JSON value nests at most `depth` objects or arrays deep; stops at the first level past it. */
export function nestsAtMost(value: unknown, depth: number): boolean {
  if (typeof value !== "object" || value === null) return true;
  if (depth === 0) return false;
  return Object.values(value).every((item) => nestsAtMost(item, depth - 1));
}

/** Dashboard uids as Grafana makes them: up to 40 of letters, digits, `-` and `_`. */
export const UID = v.pipe(
  v.string(),
  v.regex(/^[A-Za-z0-9_-]{1,40}$/, "a uid of 1–40 letters, digits, - or _"),
);

/** Grafana's relative times (`now`, `now-6h`, `now-1d/d`) or an absolute ISO 8601 time. */
export function isTimePoint(t: unknown): t is string {
  if (typeof t !== "string" || t.length > 64) return false;
  return /^now(-\d{1,6}[smhdwMy])?(\/[smhdwMy])?$/.test(t) || !Number.isNaN(Date.parse(t));
}

const TimePoint = v.pipe(
  v.string(),
  v.check((t: string) => isTimePoint(t), "now, now-<n><unit>[/<unit>] or an ISO 8601 time"),
);

/** A Prometheus duration such as `30s` or `1h30m`. */
export const DURATION = /^(\d{1,6}(ms|s|m|h|d|w|y))+$/;

const Expr = text(L.exprLength);
const Color = text(64);

const GridPos = v.strictObject({
  x: count(GRID_COLUMNS - 1),
  y: count(L.gridRows),
  w: v.pipe(count(GRID_COLUMNS), v.minValue(1)),
  h: v.pipe(count(L.gridRows), v.minValue(1)),
});

const Target = v.strictObject({
  refId: v.pipe(v.string(), v.regex(/^[A-Za-z0-9_-]{1,16}$/, "a refId of 1–16 letters, digits, - or _")),
  expr: Expr,
  legendFormat: v.optional(text(L.titleLength), ""),
});

const Panel = v.strictObject({
  id: v.pipe(count(Number.MAX_SAFE_INTEGER), v.minValue(1)),
  title: v.optional(text(L.titleLength), ""),
  type: v.picklist(PANEL_TYPES),
  gridPos: GridPos,
  targets: v.optional(v.pipe(v.array(Target), v.maxLength(L.targetsPerPanel)), []),
  unit: v.optional(text(64)),
  decimals: v.optional(count(20)),
  min: v.optional(finite),
  max: v.optional(finite),
  thresholds: v.optional(
    v.pipe(
      v.array(v.strictObject({ value: v.nullable(finite), color: Color })),
      v.maxLength(L.thresholdsPerPanel),
    ),
  ),
  options: v.optional(
    v.custom<JsonObject>(
      (value) =>
        typeof value === "object" &&
        value !== null &&
        !Array.isArray(value) &&
        nestsAtMost(value, L.optionsDepth),
      `a JSON object nested at most ${L.optionsDepth} deep`,
    ),
  ),
});

const variableBase = {
  name: name("a variable name of letters, digits and _"),
  label: v.optional(text(L.titleLength)),
  current: v.optional(
    v.strictObject({ value: v.union([text(1024), v.pipe(v.array(text(1024)), v.maxLength(1000))]) }),
  ),
};
const choices = {
  multi: v.optional(v.boolean(), false),
  includeAll: v.optional(v.boolean(), false),
  allValue: v.optional(text(1024)),
};

const Variable = v.variant("type", [
  v.strictObject({
    ...variableBase,
    ...choices,
    type: v.literal("query"),
    query: Expr,
    regex: v.optional(text(1024)),
  }),
  v.strictObject({ ...variableBase, ...choices, type: v.literal("custom"), query: text(L.exprLength) }),
  v.strictObject({ ...variableBase, type: v.literal("interval"), query: text(1024) }),
  v.strictObject({ ...variableBase, type: v.literal("constant"), query: text(L.exprLength) }),
]);

const Annotation = v.strictObject({
  name: text(L.titleLength),
  enable: v.optional(v.boolean(), true),
  iconColor: v.optional(Color, "red"),
  expr: v.optional(Expr),
});

const DashboardBody = v.strictObject({
  uid: UID,
  title: v.pipe(v.string(), v.trim(), v.minLength(1), v.maxLength(L.titleLength)),
  tags: v.optional(v.pipe(v.array(text(64)), v.maxLength(L.tagsPerDashboard)), []),
  time: v.optional(v.strictObject({ from: TimePoint, to: TimePoint }), { from: "now-6h", to: "now" }),
  refresh: v.optional(v.union([v.literal(""), v.pipe(v.string(), v.regex(DURATION, "a duration"))]), ""),
  variables: v.optional(v.pipe(v.array(Variable), v.maxLength(L.variablesPerDashboard)), []),
  panels: v.optional(v.pipe(v.array(Panel), v.maxLength(L.panelsPerDashboard)), []),
  annotations: v.optional(v.pipe(v.array(Annotation), v.maxLength(L.annotationsPerDashboard)), []),
  version: v.optional(count(Number.MAX_SAFE_INTEGER), 0),
});

/** The first repeat among `keys`, by index, so a fault can name where it is. */
function firstRepeat(keys: readonly (string | number)[]): number {
  const seen = new Set<string | number>();
  return keys.findIndex((key) => seen.has(key) || !seen.add(key));
}

/**
 * Checks a dashboard as sent (a PUT body, or what an import built): the dashboard as stored, its `version` the one
 * it replaces, or a 400 naming the JSON path at fault (`panels[3].gridPos.w`) and why.
 */
export function parseDashboard(body: unknown): Dashboard {
  if (typeof body !== "object" || body === null || Array.isArray(body))
    throw new ApiError(400, "invalid_body", "the body must be a JSON object of one dashboard");
  const dashboard: Dashboard = validate(DashboardBody, body);
  dashboard.panels.forEach((panel, i) => {
    if (panel.gridPos.x + panel.gridPos.w > GRID_COLUMNS)
      refuse(`panels[${i}].gridPos.w`, `x + w must be at most ${GRID_COLUMNS}, the grid's columns`);
    const refId = firstRepeat(panel.targets.map((target) => target.refId));
    if (refId >= 0)
      refuse(`panels[${i}].targets[${refId}].refId`, "each target of a panel has its own refId");
    if (panel.min !== undefined && panel.max !== undefined && panel.min > panel.max)
      refuse(`panels[${i}].max`, "max must be at least min");
  });
  const id = firstRepeat(dashboard.panels.map((panel) => panel.id));
  if (id >= 0) refuse(`panels[${id}].id`, "each panel of a dashboard has its own id");
  const variable = firstRepeat(dashboard.variables.map((variable) => variable.name));
  if (variable >= 0) refuse(`variables[${variable}].name`, "each variable of a dashboard has its own name");
  return dashboard;
}
