import { BOARD_PATTERN } from "../../../worker/auth/tokens.ts";
import {
  type Selection,
  selectionFromParams,
  selectionToParams,
} from "../../../worker/protocol/variable-scope.ts";
import type { RangeText } from "./time-expr.ts";

/**
 * What the URL fragment says of a dashboard, as Grafana's URL does: `#board=b&token=t&dashboard=uid` then
 * `&from=now-1h&to=now`, `&var-host=a&var-host=b`, `&refresh=30s` and `&viewPanel=3` (one panel full screen).
 * Unknown keys are kept, so the live view's settings survive a trip through a dashboard. No DOM.
 */
export interface DashboardViewState {
  board: string;
  token: string;
  dashboard: string;
  /** Absent: the dashboard's saved range and refresh. */
  range?: RangeText;
  refresh?: string;
  selection: Selection;
  viewPanel?: number;
}

export type ViewStateResult = { ok: true; state: DashboardViewState } | { ok: false; problem: string };

const UID = /^[A-Za-z0-9_-]{1,40}$/;

/** Reads a fragment that names a dashboard; `null` when it names none (the live view). */
export function parseViewState(hash: string): ViewStateResult | null {
  const params = new URLSearchParams(hash.replace(/^#/, ""));
  const dashboard = params.get("dashboard");
  if (dashboard === null) return null;
  const board = params.get("board") ?? "";
  const token = params.get("token") ?? "";
  if (!BOARD_PATTERN.test(board) || !token)
    return { ok: false, problem: "Open a dashboard as /#board=<board>&token=<token>&dashboard=<uid>." };
  if (!UID.test(dashboard)) return { ok: false, problem: `"${dashboard}" is not a dashboard uid.` };
  const from = params.get("from");
  const to = params.get("to");
  const refresh = params.get("refresh");
  const viewPanel = Number(params.get("viewPanel"));
  return {
    ok: true,
    state: {
      board,
      token,
      dashboard,
      selection: selectionFromParams(params),
      ...(from && to ? { range: { from, to } } : {}),
      ...(refresh !== null ? { refresh } : {}),
      ...(Number.isInteger(viewPanel) && viewPanel > 0 ? { viewPanel } : {}),
    },
  };
}

/** The fragment for `state` (without `#`), in a stable order: board, token, dashboard, range, refresh, variables. */
export function formatViewState(state: DashboardViewState): string {
  const params = new URLSearchParams({ board: state.board, token: state.token, dashboard: state.dashboard });
  if (state.range) {
    params.set("from", state.range.from);
    params.set("to", state.range.to);
  }
  if (state.refresh !== undefined) params.set("refresh", state.refresh);
  for (const [key, value] of selectionToParams(state.selection)) params.append(key, value);
  if (state.viewPanel !== undefined) params.set("viewPanel", String(state.viewPanel));
  return params.toString();
}

/** The fragment that opens dashboard `uid` of a board (the dashboard list's links). */
export const dashboardLink = (board: string, token: string, uid: string): string =>
  `#${new URLSearchParams({ board, token, dashboard: uid })}`;

/** A uid from a title: `CPU per host` → `cpu-per-host-x7k2`, unique enough on one board. */
export function uidFor(title: string, random = Math.random): string {
  const slug = title
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-|-$/g, "")
    .slice(0, 30);
  return `${slug || "dashboard"}-${Math.floor(random() * 36 ** 4)
    .toString(36)
    .padStart(4, "0")}`;
}
