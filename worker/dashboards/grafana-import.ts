import * as v from "valibot";
import {
  type Annotation,
  type Dashboard,
  type ImportResult,
  DASHBOARD_LIMITS as L,
  type Variable,
} from "../protocol/dashboards.ts";
import { importPanels } from "./grafana-panels.ts";
import {
  type ImportContext,
  isObject,
  isPromQL,
  type Json,
  note,
  refuse,
  sourceKind,
} from "./grafana-source.ts";
import { DURATION, isTimePoint, UID } from "./model.ts";

const string = (value: unknown, fallback = "") => (typeof value === "string" ? value : fallback);
const list = (value: unknown): unknown[] => (isObject(value) && Array.isArray(value.list) ? value.list : []);

/** The selected value(s) Grafana saved (`current.value`; `text` when an export has only that). */
function current(raw: Json): Variable["current"] {
  const saved = isObject(raw.current) ? raw.current : {};
  const value = saved.value ?? saved.text;
  if (typeof value === "string") return { value };
  if (Array.isArray(value) && value.every((item) => typeof item === "string")) return { value };
  return undefined;
}

/** One `templating.list` entry as ours, or null (noted) when it is of a kind not carried over. */
function variable(raw: Json, path: string, context: ImportContext): Variable | null {
  const name = string(raw.name);
  if (!/^[A-Za-z_][A-Za-z0-9_]{0,63}$/.test(name)) {
    note(context, `${path}.name`, "not a variable name of letters, digits and _");
    return null;
  }
  const base = {
    name,
    ...(typeof raw.label === "string" && raw.label ? { label: raw.label.slice(0, L.titleLength) } : {}),
    ...(current(raw) ? { current: current(raw) } : {}),
  };
  const choices = {
    multi: raw.multi === true,
    includeAll: raw.includeAll === true,
    ...(typeof raw.allValue === "string" && raw.allValue ? { allValue: raw.allValue } : {}),
  };
  // Grafana 9+ keeps a query variable's query as {query, refId}; `definition` holds it as typed.
  const query = isObject(raw.query) ? string(raw.query.query, string(raw.definition)) : string(raw.query);
  switch (raw.type) {
    case "query": {
      const kind = sourceKind(raw.datasource, context);
      if (!isPromQL(kind)) {
        note(context, path, `a ${kind} data source, not Prometheus`);
        return null;
      }
      const regex = string(raw.regex);
      return { ...base, ...choices, type: "query", query, ...(regex ? { regex } : {}) };
    }
    case "custom":
      return { ...base, ...choices, type: "custom", query };
    case "interval":
      if (raw.auto === true) note(context, `${path}.auto`, "the auto interval is not carried over");
      return { ...base, type: "interval", query };
    case "constant":
      return { ...base, type: "constant", query };
    default:
      note(context, path, `a ${JSON.stringify(string(raw.type).slice(0, 64))} variable is not carried over`);
      return null;
  }
}

/** `annotations.list`: Grafana's built-in one becomes the board's alert transitions; PromQL ones keep their expr. */
function annotation(raw: Json, path: string, context: ImportContext): Annotation | null {
  const common = {
    name: string(raw.name, "Annotations").slice(0, L.titleLength),
    enable: raw.enable !== false,
    iconColor: string(raw.iconColor, "red").slice(0, 64),
  };
  if (raw.builtIn === 1) return common;
  const kind = sourceKind(raw.datasource, context);
  if (!isPromQL(kind) || typeof raw.expr !== "string" || raw.expr === "") {
    note(
      context,
      path,
      isPromQL(kind) ? "no PromQL expression (expr)" : `a ${kind} data source, not Prometheus`,
    );
    return null;
  }
  return { ...common, expr: raw.expr.slice(0, L.exprLength) };
}

/** Entries of one of an export's lists, converted, the ones past `max` noted and left out. */
function each<T>(
  raw: unknown[],
  path: string,
  max: number,
  convert: (item: Json, path: string) => T | null,
  context: ImportContext,
): T[] {
  const kept: T[] = [];
  for (const [i, item] of raw.entries()) {
    const at = `${path}[${i}]`;
    const converted = isObject(item) ? convert(item, at) : null;
    if (!isObject(item)) note(context, at, "not an object");
    else if (converted !== null && kept.length === max) note(context, at, `past ${max} per dashboard`);
    else if (converted !== null) kept.push(converted);
  }
  return kept;
}

function time(raw: unknown, context: ImportContext): Dashboard["time"] {
  const from = isObject(raw) ? raw.from : undefined;
  const to = isObject(raw) ? raw.to : undefined;
  if (raw === undefined) return { from: "now-6h", to: "now" };
  if (isTimePoint(from) && isTimePoint(to)) return { from, to };
  note(context, "time", "not a Grafana time range; now-6h to now instead");
  return { from: "now-6h", to: "now" };
}

function refresh(raw: unknown, context: ImportContext): string {
  if (raw === undefined || raw === false || raw === "") return "";
  if (typeof raw === "string" && DURATION.test(raw)) return raw;
  note(context, "refresh", "not a refresh interval; never instead");
  return "";
}

/**
 * A Grafana dashboard as exported by Grafana 8–11 (the JSON model, or the API's `{dashboard, meta}`) as one of
 * ours, and what of it was not carried over. Its version is 0: saving it creates it.
 */
export function importGrafana(body: Json): ImportResult {
  const raw = isObject(body.dashboard) ? body.dashboard : body;
  if (typeof raw.title !== "string" || raw.title.trim() === "")
    refuse("title", "a Grafana dashboard has a title");
  const context: ImportContext = { inputs: new Map(), notes: [] };
  for (const input of Array.isArray(raw.__inputs) ? raw.__inputs : [])
    if (isObject(input) && typeof input.name === "string")
      context.inputs.set(input.name, string(input.pluginId, "default"));
  const uid = v.is(UID, raw.uid) && raw.uid !== "import" ? raw.uid : crypto.randomUUID();
  if (uid !== raw.uid) note(context, "uid", "missing or not a uid; a new one was made");
  const tags = Array.isArray(raw.tags) ? raw.tags.filter((tag) => typeof tag === "string") : [];
  const dashboard: Dashboard = {
    uid,
    title: raw.title.trim().slice(0, L.titleLength),
    tags: tags.slice(0, L.tagsPerDashboard).map((tag) => tag.slice(0, 64)),
    time: time(raw.time, context),
    refresh: refresh(raw.refresh, context),
    variables: each(
      list(raw.templating),
      "templating.list",
      L.variablesPerDashboard,
      (item, at) => variable(item, at, context),
      context,
    ),
    panels: importPanels(raw.panels, context),
    annotations: each(
      list(raw.annotations),
      "annotations.list",
      L.annotationsPerDashboard,
      (item, at) => annotation(item, at, context),
      context,
    ),
    version: 0,
  };
  if (Array.isArray(raw.rows)) note(context, "rows", "rows of the pre-5.0 schema are not carried over");
  return { dashboard, notCarriedOver: context.notes };
}
