import { builtinScope } from "../../../worker/protocol/builtins.ts";
import type { Dashboard, Panel } from "../../../worker/protocol/dashboards.ts";
import { interpolate, type Scope, type VariableValue } from "../../../worker/protocol/interpolate.ts";
import { LIVE_QUERY_LIMITS } from "../../../worker/protocol/live-query.ts";
import { resolveVariables, type Selection } from "../../../worker/protocol/variable-scope.ts";
import { ApiCallError } from "../api.ts";
import { tokenKind } from "../fragment.ts";
import { availableTransports, TransportChain } from "../transport-chain.ts";
import { type AnnotationMark, alertMarks, expressionMarks } from "./annotation-marks.ts";
import { BoardApi } from "./board-api.ts";
import { Crosshair } from "./crosshair.ts";
import { DashboardGrid } from "./dashboard-grid.ts";
import { drawDashboardList } from "./dashboard-list.ts";
import { appendPos, nextPanelId } from "./grid-layout.ts";
import { LivePanelFeed, type PanelQuery } from "./live-panel-feed.ts";
import { LiveQueryConnection } from "./live-query-connection.ts";
import { editPanel } from "./panel-editor.ts";
import { appendSteps, type PanelSeries, seriesOfAnswer } from "./panel-series.ts";
import { openShareDialog } from "./share-dialog.ts";
import {
  type AbsoluteRange,
  absoluteText,
  followsNow,
  type RangeText,
  refreshMs,
  resolveRange,
  shiftRange,
  zoomOut,
} from "./time-expr.ts";
import { TimePicker } from "./time-picker.ts";
import { drawVariablesBar } from "./variables-bar.ts";
import { type DashboardViewState, formatViewState } from "./view-state.ts";

/**
 * The built-ins' "scrape interval": Grafana's default for a Prometheus data source (15 s), which exported
 * dashboards assume; `$__interval` never goes below it and `$__rate_interval` spans four of it, so a `rate()`
 * always has samples of agents scraping at Grafana's usual pace.
 */
const SCRAPE_INTERVAL_MS = 15_000;
/** Panel types answered by an instant query at the range's end; the others by a range query. */
const INSTANT: ReadonlySet<Panel["type"]> = new Set(["stat", "gauge", "bargauge", "table"]);
/** Panel types fed by live PromQL subscriptions while their range ends at now; the others poll. */
const LIVE: ReadonlySet<Panel["type"]> = new Set(["timeseries", "stat", "gauge", "bargauge"]);

const el = <K extends keyof HTMLElementTagNameMap>(tag: K, text = "", testid = "") => {
  const element = document.createElement(tag);
  if (text) element.textContent = text;
  if (testid) element.dataset.testid = testid;
  return element;
};

/**
 * A saved dashboard, opened by `#board=…&token=…&dashboard=uid`: the header (title, dashboards, time picker,
 * refresh, share, edit), the variables bar and the grid. Range, refresh, variables and a full-screen panel live in
 * the URL fragment (replaced in place, so no reload). Panels load when on screen, with the variables and the
 * built-ins interpolated, and again when the range, a variable or a refresh changes what they show.
 */
export class DashboardPage {
  private readonly api: BoardApi;
  private readonly admin: boolean;
  private readonly grid: DashboardGrid;
  private readonly crosshair = new Crosshair((run) => requestAnimationFrame(run));
  private readonly picker: TimePicker;
  private readonly variablesBar = el("div", "", "variables");
  private readonly notice = el("div", "", "dashboard-notice");
  private readonly title = el("h1", "", "dashboard-title");
  private readonly editBar = el("span");
  private saved!: Dashboard;
  /** The dashboard as drawn: the saved one, or the draft while editing. */
  private dashboard!: Dashboard;
  private range: RangeText = { from: "now-1h", to: "now" };
  private absolute: AbsoluteRange = { from: 0, to: 0 };
  private readonly rangeHistory: RangeText[] = [];
  private refresh = "";
  private refreshTimer: ReturnType<typeof setInterval> | undefined;
  private selection: Selection = {};
  private values: Record<string, VariableValue> = {};
  private offered = new Map<string, string[]>();
  /** What each panel last loaded with; a visible panel whose key differs loads again. */
  private readonly loadedKey = new Map<number, string>();
  private readonly inFlight = new Map<number, AbortController>();
  /** What each range panel last loaded: an incremental refresh appends to it. */
  private readonly lastLoad = new Map<
    number,
    { definition: string; range: AbsoluteRange; series: PanelSeries[] }
  >();
  /** Panels fed by live subscriptions, with the definition they subscribed for. */
  private readonly feeds = new Map<number, { definition: string; feed: LivePanelFeed }>();
  /** The page's live PromQL connection; null where the browser has neither WebSocket nor EventSource. */
  private readonly live: LiveQueryConnection | null;
  private viewPanel: number | null = null;

  private readonly root: HTMLElement;
  private readonly state: DashboardViewState;

  constructor(root: HTMLElement, state: DashboardViewState) {
    this.root = root;
    this.state = state;
    this.api = new BoardApi(location.href, state.board, state.token);
    this.admin = tokenKind(state.token) === "admin";
    const transports = availableTransports(globalThis).filter((name) => name !== "poll");
    this.live =
      transports.length === 0
        ? null
        : new LiveQueryConnection(
            { page: location.href, board: state.board, token: state.token },
            new TransportChain(transports),
          );
    window.addEventListener("pagehide", () => this.live?.close());
    this.picker = new TimePicker({
      range: (range) => this.setRange(range),
      zoomOut: () => this.setRange(absoluteText(zoomOut(this.absolute))),
      shift: (fraction) => this.setRange(absoluteText(shiftRange(this.absolute, fraction))),
      back: () => {
        const previous = this.rangeHistory.pop();
        if (previous) this.setRange(previous, false);
      },
      refreshEvery: (refresh) => this.setRefresh(refresh),
      refreshNow: () => this.reload(),
    });
    const gridElement = el("section", "", "dashboard-grid");
    this.grid = new DashboardGrid(gridElement, {
      crosshair: this.crosshair,
      onZoom: (range) => this.setRange(absoluteText(range)),
      fullScreen: (panel) => this.setViewPanel(this.viewPanel === panel.id ? null : panel.id),
      edit: (panel) => this.openEditor(panel),
      remove: (panel) => this.setDraftPanels(this.dashboard.panels.filter((p) => p.id !== panel.id)),
      visible: (panel) => void this.loadIfStale(panel),
      layoutChanged: (panels) => this.setDraftPanels(panels),
    });
    this.notice.className = "dashboard-notice";
    this.notice.hidden = true;
    root.append(this.header(), this.notice, this.variablesBar, gridElement);
    this.variablesBar.className = "variables-bar";
    document.addEventListener("keydown", (event) => {
      if (event.key === "Escape" && this.viewPanel !== null && !document.querySelector("dialog[open]"))
        this.setViewPanel(null);
    });
  }

  async open(): Promise<void> {
    try {
      this.saved = await this.api.dashboard(this.state.dashboard);
    } catch (error) {
      this.showNotice(`Dashboard "${this.state.dashboard}" could not be opened: ${(error as Error).message}`);
      return;
    }
    this.dashboard = this.saved;
    this.range = this.state.range ?? this.saved.time;
    this.refresh = this.state.refresh ?? this.saved.refresh;
    this.selection = this.state.selection;
    this.viewPanel = this.state.viewPanel ?? null;
    await this.draw();
  }

  private header(): HTMLElement {
    const header = el("header");
    header.className = "dashboard-header";
    const menu = el("details", "", "dashboards-menu");
    menu.className = "dashboards-menu";
    const summary = el("summary", "Dashboards");
    const list = el("ul", "", "dashboard-list");
    menu.append(summary, list);
    menu.addEventListener("toggle", () => {
      if (menu.open)
        drawDashboardList(list, this.api, this.state.board, this.admin).catch((error: Error) => {
          list.textContent = error.message;
        });
    });
    const share = el("button", "Share", "share");
    share.addEventListener("click", () =>
      openShareDialog(this.api, (token, lock) => this.shareLink(token, lock)),
    );
    const edit = el("button", "Edit", "edit");
    edit.hidden = !this.admin;
    edit.title = "Add, move, resize, remove and edit panels (admin tokens)";
    edit.addEventListener("click", () => this.setEditing(true));
    this.editBar.className = "edit-bar";
    this.editBar.hidden = true;
    const add = el("button", "Add panel", "add-panel");
    add.addEventListener("click", () => {
      const panels = this.dashboard.panels;
      const panel: Panel = {
        id: nextPanelId(panels),
        title: "New panel",
        type: "timeseries",
        gridPos: appendPos(panels),
        targets: [{ refId: "A", expr: "", legendFormat: "" }],
      };
      this.setDraftPanels([...panels, panel]);
      this.openEditor(panel);
    });
    const save = el("button", "Save", "save");
    save.addEventListener("click", () => void this.save());
    const discard = el("button", "Discard", "discard");
    discard.addEventListener("click", () => {
      this.dashboard = this.saved;
      this.setEditing(false);
      void this.draw();
    });
    this.editBar.append(add, save, discard);
    header.append(this.title, menu, this.picker.element, share, edit, this.editBar);
    return header;
  }

  /** Resolves the variables, then draws the bar and the grid; panels on screen load. */
  private async draw(): Promise<void> {
    this.title.textContent = this.dashboard.title;
    document.title = `${this.dashboard.title} · ${this.state.board} · edgepulse`;
    this.absolute = resolveRange(this.range, Date.now());
    this.picker.show(this.range, this.refresh, this.rangeHistory.length > 0);
    this.startRefresh();
    const offered = new Map<string, string[]>();
    try {
      this.values = await resolveVariables(
        this.dashboard.variables,
        this.selection,
        this.api.variableValues(this.absolute),
        {},
        offered,
      );
      this.offered = offered;
      // A variable's problem is gone once they resolve; a "saved" note stays.
      if (this.notice.dataset.kind === "problem") this.notice.hidden = true;
    } catch (error) {
      this.showNotice((error as Error).message);
    }
    drawVariablesBar(
      this.variablesBar,
      this.dashboard.variables,
      this.values,
      this.offered,
      (name, selected) => this.setVariable(name, selected),
    );
    this.grid.show(this.dashboard.panels);
    this.grid.setFullScreen(this.viewPanel);
    this.keepInUrl();
    void this.loadAnnotations();
    this.reload(false);
  }

  /** Loads every panel on screen whose data is out of date (`force`: all of them, as a refresh does). */
  private reload(force = true): void {
    if (force) {
      this.loadedKey.clear();
      this.absolute = resolveRange(this.range, Date.now());
      void this.loadAnnotations();
    }
    for (const [id] of this.feeds)
      if (!this.dashboard.panels.some((panel) => panel.id === id)) this.stopFeed(id);
    for (const panel of this.dashboard.panels)
      if (this.grid.isVisible(panel.id)) void this.loadIfStale(panel);
  }

  /** The built-ins for a panel `widthPx` wide over `range` (its step is `$__interval`). */
  private builtinsFor(range: AbsoluteRange, widthPx: number): Scope {
    return builtinScope({
      ...range,
      maxDataPoints: Math.max(50, widthPx),
      scrapeIntervalMs: SCRAPE_INTERVAL_MS,
    });
  }

  private async loadIfStale(panel: Panel): Promise<void> {
    const current = this.dashboard.panels.find((p) => p.id === panel.id);
    const view = this.grid.view(panel.id);
    if (!current || !view || current.type === "text") {
      view?.setData([], this.absolute);
      return;
    }
    const range = this.absolute;
    const builtins = this.builtinsFor(range, view.element.clientWidth);
    const stepS = Number(builtins.__interval_ms!.values[0]) / 1000;
    const definition = JSON.stringify([
      current.targets,
      current.type,
      this.values,
      stepS,
      range.to - range.from,
    ]);
    // A live panel's subscription follows now by itself: its range's start is no part of what it loaded.
    const live = this.live !== null && LIVE.has(current.type) && this.range.to === "now";
    const key = live ? `${definition}@live` : `${definition}@${range.from}`;
    if (this.loadedKey.get(panel.id) === key) return;
    this.loadedKey.set(panel.id, key);
    this.inFlight.get(panel.id)?.abort();
    if (live && this.feeds.get(panel.id)?.definition === definition) return;
    this.stopFeed(panel.id);
    if (live && this.subscribe(current, { ...builtins, ...this.values }, range, stepS, definition)) return;
    const abort = new AbortController();
    this.inFlight.set(panel.id, abort);
    view.setLoading();
    // A live panel over a range (time series, heatmap) that moved on by less than its range asks only for the
    // steps since its last load.
    const last = this.lastLoad.get(panel.id);
    const incremental =
      !INSTANT.has(current.type) &&
      followsNow(this.range) &&
      last?.definition === definition &&
      range.to > last.range.to &&
      range.from < last.range.to;
    try {
      const freshFrom = incremental ? Math.floor(last.range.to / 1000 / stepS) * stepS * 1000 : range.from;
      const fresh = await this.query(
        current,
        { ...builtins, ...this.values },
        range,
        freshFrom,
        stepS,
        abort.signal,
      );
      if (abort.signal.aborted) return;
      const series = incremental ? appendSteps(last.series, fresh, range.from, freshFrom) : fresh;
      this.lastLoad.set(panel.id, { definition, range, series });
      view.setData(series, range);
    } catch (error) {
      if (abort.signal.aborted) return;
      this.loadedKey.delete(panel.id);
      this.lastLoad.delete(panel.id);
      view.setError((error as Error).message);
    }
  }

  /**
   * Feeds the panel from live subscriptions of its targets, interpolated as a query would be, at its query_range
   * step clamped to the live limits; false when the page's connection has no room for them (the panel polls).
   */
  private subscribe(
    panel: Panel,
    scope: Scope,
    range: AbsoluteRange,
    stepS: number,
    definition: string,
  ): boolean {
    const queries = this.panelQueries(panel, scope);
    if (queries.length === 0) return false;
    const { minStepMs, maxStepMs } = LIVE_QUERY_LIMITS;
    const stepMs = Math.min(maxStepMs, Math.max(minStepMs, Math.round(stepS * 1000)));
    this.lastLoad.delete(panel.id);
    this.grid.view(panel.id)?.setLoading();
    const feed = new LivePanelFeed(this.live!, queries, {
      stepMs,
      spanMs: range.to - range.from,
      instant: INSTANT.has(panel.type),
      data: (series, shown) => this.grid.view(panel.id)?.setData(series, shown),
      error: (error) => {
        this.stopFeed(panel.id);
        this.grid.view(panel.id)?.setError(error.error);
      },
    });
    if (!feed.start()) return false;
    this.feeds.set(panel.id, { definition, feed });
    return true;
  }

  private stopFeed(panelId: number): void {
    this.feeds.get(panelId)?.feed.stop();
    this.feeds.delete(panelId);
  }

  /** The panel's targets with an expression, interpolated in `scope`: what both queries and subscriptions ask. */
  private panelQueries(panel: Panel, scope: Scope): PanelQuery[] {
    return panel.targets
      .filter((target) => target.expr.trim() !== "")
      .map((target) => ({
        refId: target.refId,
        expr: interpolate(target.expr, scope),
        legendFormat: interpolate(target.legendFormat, scope),
      }));
  }

  /** Every target of the panel, interpolated, as one list of series; range queries ask from `fetchFrom` on. */
  private async query(
    panel: Panel,
    scope: Scope,
    range: AbsoluteRange,
    fetchFrom: number,
    stepS: number,
    signal: AbortSignal,
  ): Promise<PanelSeries[]> {
    const answers = await Promise.all(
      this.panelQueries(panel, scope).map(async (query) => {
        const data = INSTANT.has(panel.type)
          ? await this.api.prometheus<{ resultType: string; result: unknown }>(
              "api/v1/query",
              new URLSearchParams({ query: query.expr, time: String(range.to / 1000) }),
              signal,
            )
          : await this.rangeQuery(query.expr, { from: fetchFrom, to: range.to }, stepS, signal);
        return seriesOfAnswer(data, query);
      }),
    );
    return answers.flat();
  }

  /**
   * The dashboard's annotations on every time series panel: the board's alert transitions over the range (unless
   * the dashboard lists annotations and disables the built-in one), and each enabled `expr` annotation's events.
   */
  private async loadAnnotations(): Promise<void> {
    const { annotations } = this.dashboard;
    const builtIn = annotations.filter((a) => a.expr === undefined);
    const range = this.absolute;
    const alerts = annotations.length === 0 || builtIn.some((a) => a.enable);
    const color = builtIn.find((a) => a.enable)?.iconColor ?? "rgba(255, 96, 96, 1)";
    const builtins = this.builtinsFor(range, 1000);
    const stepMs = Number(builtins.__interval_ms!.values[0]);
    // Annotations are an aid: a failed call draws no marks, and the panels still draw.
    const none = (): AnnotationMark[] => [];
    const alertList = alerts
      ? this.api.alertEvents(range.from).then((events) => alertMarks(events, range, color), none)
      : none();
    const exprLists = annotations
      .filter((a) => a.enable && a.expr)
      .map((a) =>
        this.rangeQuery(interpolate(a.expr!, { ...builtins, ...this.values }), range, stepMs / 1000).then(
          (data) => expressionMarks(seriesOfAnswer(data, { refId: a.name, legendFormat: "" }), stepMs, a),
          none,
        ),
      );
    const lists = await Promise.all([alertList, ...exprLists]);
    const marks = lists.flat().sort((a, b) => a.at - b.at);
    for (const view of this.grid.allViews()) if (view.panel.type === "timeseries") view.setAnnotations(marks);
  }

  /** A range query over `range` at `stepS`, the start aligned to the step (so refreshes reuse the same steps). */
  private rangeQuery(query: string, range: AbsoluteRange, stepS: number, signal?: AbortSignal) {
    const params = new URLSearchParams({
      query,
      start: String(Math.floor(range.from / 1000 / stepS) * stepS),
      end: String(range.to / 1000),
      step: String(stepS),
    });
    return this.api.prometheus<{ resultType: string; result: unknown }>("api/v1/query_range", params, signal);
  }

  private setRange(range: RangeText, remember = true): void {
    if (remember) this.rangeHistory.push(this.range);
    this.range = range;
    this.absolute = resolveRange(range, Date.now());
    this.picker.show(this.range, this.refresh, this.rangeHistory.length > 0);
    this.keepInUrl();
    this.startRefresh();
    this.reload();
  }

  private setRefresh(refresh: string): void {
    this.refresh = refresh;
    this.keepInUrl();
    this.startRefresh();
  }

  /** A refresh timer while the range follows now and refresh is set; an absolute range never refreshes. */
  private startRefresh(): void {
    clearInterval(this.refreshTimer);
    const every = refreshMs(this.refresh);
    if (every !== null && followsNow(this.range)) this.refreshTimer = setInterval(() => this.reload(), every);
  }

  private async setVariable(name: string, selected: string[]): Promise<void> {
    this.selection = { ...this.selection, [name]: selected };
    await this.draw();
  }

  private setViewPanel(id: number | null): void {
    this.viewPanel = id;
    this.grid.setFullScreen(id);
    this.keepInUrl();
    requestAnimationFrame(() => this.reload(false));
  }

  private setEditing(editing: boolean): void {
    this.grid.setEditing(editing);
    this.editBar.hidden = !editing;
    this.root.classList.toggle("editing", editing);
  }

  private setDraftPanels(panels: Panel[]): void {
    this.dashboard = { ...this.dashboard, panels };
    this.grid.show(panels);
    this.reload(false);
  }

  private openEditor(panel: Panel): void {
    const current = this.dashboard.panels.find((p) => p.id === panel.id) ?? panel;
    void editPanel(current, { url: this.api.prometheusBase, token: this.state.token }, (edited) =>
      this.setDraftPanels(this.dashboard.panels.map((p) => (p.id === edited.id ? edited : p))),
    );
  }

  /** Saves the draft over the version it started from; another's save in between is a conflict to resolve. */
  private async save(overwrite = false): Promise<void> {
    let base = this.saved.version;
    try {
      if (overwrite) base = (await this.api.dashboard(this.saved.uid)).version;
      const stored = await this.api.save({ ...this.dashboard, version: base });
      this.saved = this.dashboard = stored;
      this.setEditing(false);
      this.showNotice(`Saved as version ${stored.version}`, "ok");
      await this.draw();
    } catch (error) {
      if (error instanceof ApiCallError && error.code === "version_conflict") this.showConflict();
      else this.showNotice(`Not saved: ${(error as Error).message}`);
    }
  }

  private showConflict(): void {
    this.showNotice("Someone else saved this dashboard since you opened it. ");
    this.notice.dataset.testid = "conflict";
    const overwrite = el("button", "Save mine over theirs", "conflict-overwrite");
    overwrite.addEventListener("click", () => void this.save(true));
    const theirs = el("button", "Discard mine, load theirs", "conflict-reload");
    theirs.addEventListener("click", async () => {
      this.saved = this.dashboard = await this.api.dashboard(this.saved.uid);
      this.setEditing(false);
      await this.draw();
    });
    this.notice.append(overwrite, theirs);
  }

  private showNotice(text: string, kind: "problem" | "ok" = "problem"): void {
    this.notice.hidden = false;
    this.notice.dataset.testid = "dashboard-notice";
    this.notice.dataset.kind = kind;
    this.notice.textContent = text;
  }

  private viewState(token: string, range: RangeText): DashboardViewState {
    const selection: Record<string, string[]> = {};
    for (const variable of this.dashboard.variables) {
      if (variable.type === "constant") continue;
      // As chosen (All as `$__all`, as Grafana writes it), else as saved, else as resolved.
      const saved = variable.current?.value;
      const chosen =
        this.selection[variable.name] ??
        (saved === undefined ? this.values[variable.name]?.values : [saved].flat());
      if (chosen) selection[variable.name] = [...chosen];
    }
    return {
      board: this.state.board,
      token,
      dashboard: this.state.dashboard,
      range,
      refresh: this.refresh,
      selection,
      ...(this.viewPanel !== null ? { viewPanel: this.viewPanel } : {}),
    };
  }

  private keepInUrl(): void {
    history.replaceState(null, "", `#${formatViewState(this.viewState(this.state.token, this.range))}`);
  }

  private shareLink(token: string, lockRange: boolean): string {
    const range = lockRange ? absoluteText(this.absolute) : this.range;
    return new URL(`/#${formatViewState(this.viewState(token, range))}`, location.href).href;
  }
}
