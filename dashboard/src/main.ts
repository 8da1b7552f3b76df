import { ALL_SERIES, type StreamPosition } from "../../worker/protocol/index.ts";
import { AckScheduler } from "./ack-scheduler.ts";
import { AlertPanel } from "./alert-panel.ts";
import { BoardView } from "./board-view.ts";
import { showConnectionStatus } from "./connection-badge.ts";
import { checkCredential } from "./credential-check.ts";
import { BoardApi } from "./dashboards/board-api.ts";
import { drawDashboardList } from "./dashboards/dashboard-list.ts";
import { DashboardPage } from "./dashboards/dashboard-page.ts";
import { parseViewState } from "./dashboards/view-state.ts";
import { DevicePanel } from "./device-panel.ts";
import { showMessage } from "./dom.ts";
import { parseFragment, tokenKind } from "./fragment.ts";
import { showHistoryStatus } from "./history-badge.ts";
import { fetchHistory } from "./history-query.ts";
import { HistorySync } from "./history-sync.ts";
import { LiveClient, type LiveListener } from "./live-client.ts";
import { pollConnector } from "./poll-transport.ts";
import { createRangePicker } from "./range-picker.ts";
import { ReconnectingSocket } from "./reconnecting-socket.ts";
import { sseConnector } from "./sse-transport.ts";
import { formatZoom, panAxis, parseZoom, zoomAxis } from "./time-axis.ts";
import { DEFAULT_RANGE, RANGES } from "./time-range.ts";
import type { StreamTarget } from "./transport-attempt.ts";
import { availableTransports, chainConnector, TransportChain } from "./transport-chain.ts";
import { paceWithVisibility } from "./visibility-pace.ts";
import { webSocketConnector } from "./websocket-transport.ts";

function byId(id: string): HTMLElement {
  const element = document.getElementById(id);
  if (!element) throw new Error(`index.html lacks #${id}`);
  return element;
}

// A new board or token in the fragment is a new dashboard.
window.addEventListener("hashchange", () => location.reload());

const target = parseFragment(location.hash);
/** Shows a screen-wide notice: what is wrong and what to do. */
function showNotice(title: string, advice = ""): void {
  showMessage(byId("notice"), title, advice);
}

// `&dashboard=uid` opens a saved dashboard instead of the live view (the board's default dashboard).
const dashboardView = parseViewState(location.hash);
if (dashboardView) {
  document.body.classList.add("dashboard-mode");
  const root = byId("dashboard-app");
  root.hidden = false;
  if (dashboardView.ok) void new DashboardPage(root, dashboardView.state).open();
  else showMessage(root, dashboardView.problem);
} else if (!target.ok) {
  showNotice(target.problem);
} else {
  const { board, token, selectors } = target;
  byId("board-name").textContent = board;
  document.title = `${board} · edgepulse`;
  const seriesCount = byId("series-count");
  // The range lives in the URL too (`&range=24h`), so a link shows what its sender saw.
  const fragment = new URLSearchParams(location.hash.slice(1));
  const initialRange = RANGES.find((range) => range.id === fragment.get("range")) ?? DEFAULT_RANGE;
  const empty = byId("empty");
  const view = new BoardView(byId("grid"), initialRange, ({ shown, total }) => {
    // A board exists once something posts to it: until then, say how to post.
    if (total > 0) empty.hidden = true;
    if (total === 0)
      showMessage(
        empty,
        `No data on board "${board}" yet`,
        `Devices post to POST /api/v1/ingest with a device token of this board ` +
          `(npm run token -- device --board ${board} --device sensor-1); their series appear here at once.`,
      );
    seriesCount.textContent =
      shown === total
        ? `${total} series`
        : `${shown} of ${total} series (narrow with &series=device:* in the URL)`;
  });
  const historyBadge = byId("history");
  const history = new HistorySync({
    view,
    range: initialRange,
    load: (series, range, signal) => fetchHistory(location.href, board, token, series, range, signal),
    livePosition: (): StreamPosition | null => client.resumePosition,
    onStatus: (status) => showHistoryStatus(historyBadge, status),
  });
  const search = byId("devices-search") as HTMLInputElement;
  const devices = new DevicePanel(byId("devices"), search, (device, online) =>
    view.markDevice(device, online),
  );
  const alerts = new AlertPanel(
    {
      banner: byId("alert-banner"),
      toasts: byId("toasts"),
      summary: byId("alerts-summary"),
      rules: byId("alert-rules"),
      form: byId("alert-form") as HTMLFormElement,
      formHint: byId("alert-form-hint"),
      history: byId("alert-history"),
    },
    {
      page: location.href,
      board,
      token,
      admin: tokenKind(token) === "admin",
      onChange: (state) =>
        view.showAlerts({
          thresholds: (def) => state.thresholdsFor(def),
          marks: (def) => alerts.marks(def),
          firing: (def) => state.firingOn(def),
        }),
    },
  );
  const dashboardsMenu = byId("dashboards-menu") as HTMLDetailsElement;
  dashboardsMenu.addEventListener("toggle", () => {
    const list = byId("dashboard-list");
    if (dashboardsMenu.open)
      drawDashboardList(
        list,
        new BoardApi(location.href, board, token),
        board,
        tokenKind(token) === "admin",
      ).catch((error: Error) => {
        list.textContent = error.message;
      });
  });
  const everything = selectors.length === 1 && selectors[0] === ALL_SERIES;
  const listener: LiveListener = {
    series: (series) => history.series(series),
    frame: (frame) => {
      history.frame(frame);
      for (const group of frame.groups) {
        const device = view.deviceOf(group.seriesId);
        if (device) devices.notePoints(device, group.values.length);
      }
    },
    reset: () => history.reset(),
    problem: (text) => history.problem(text),
    presence: (present, viewers) => devices.update(present, viewers),
    alert: (event) => alerts.receive(event),
  };
  const client = new LiveClient(listener, (reason) => socket.reconnect(reason), everything);
  /** Keeps a view setting in the URL (null or "" drops it); replaceState: no hashchange, so no reload. */
  const keepInUrl = (key: string, value: string | null) => {
    if (value) fragment.set(key, value);
    else fragment.delete(key);
    window.history.replaceState(null, "", `#${fragment.toString()}`);
  };
  createRangePicker(byId("ranges"), initialRange, (range) => {
    view.setFixedAxis(null);
    history.select(range);
    keepInUrl("range", range === DEFAULT_RANGE ? null : range.id);
  });

  // The time axis: live, or fixed by a zoom (drag across a chart) or a pause; kept in the URL as `&zoom=from-to`.
  const pause = byId("pause");
  const backToLive = byId("back-to-live");
  view.onAxisChange = (fixed) => {
    pause.setAttribute("aria-pressed", String(fixed !== null));
    backToLive.hidden = fixed === null;
    keepInUrl("zoom", fixed && formatZoom(fixed));
  };
  const moveAxis = (change: (axis: NonNullable<typeof view.axis>) => NonNullable<typeof view.axis>) => {
    const axis = view.axis;
    if (axis) view.setFixedAxis(change(axis));
  };
  pause.addEventListener("click", () =>
    view.axis && pause.getAttribute("aria-pressed") === "false"
      ? moveAxis((axis) => axis)
      : view.setFixedAxis(null),
  );
  backToLive.addEventListener("click", () => view.setFixedAxis(null));
  byId("pan-back").addEventListener("click", () => moveAxis((axis) => panAxis(axis, -0.5)));
  byId("pan-forward").addEventListener("click", () => moveAxis((axis) => panAxis(axis, 0.5)));
  byId("zoom-out").addEventListener("click", () => moveAxis((axis) => zoomAxis(axis, 2)));
  document.addEventListener("keydown", (event) => {
    if (event.key !== "Escape") return;
    if (fragment.has("focus")) view.setFocus(null);
    else if (!backToLive.hidden) view.setFixedAxis(null);
  });
  // Cards per series, or a panel per metric (`&layout=metrics`).
  const byMetric = byId("by-metric");
  const showLayout = (metrics: boolean) => {
    view.setLayout(metrics ? "metrics" : "series");
    byMetric.setAttribute("aria-pressed", String(metrics));
  };
  byMetric.addEventListener("click", () => {
    const metrics = byMetric.getAttribute("aria-pressed") !== "true";
    showLayout(metrics);
    keepInUrl("layout", metrics ? "metrics" : null);
  });
  showLayout(fragment.get("layout") === "metrics");
  // A focused series (`&focus=device:metric{…}`), left with its button again or Esc; a device filter (`&devices=`).
  view.onFocusChange = (focused) => keepInUrl("focus", focused);
  view.setFocus(fragment.get("focus"));
  search.addEventListener("input", () => {
    view.setDeviceFilter(search.value);
    keepInUrl("devices", search.value.trim());
  });
  search.value = fragment.get("devices") ?? "";
  if (search.value) search.dispatchEvent(new Event("input"));
  const initialZoom = parseZoom(fragment.get("zoom"));
  if (initialZoom) view.setFixedAxis(initialZoom);

  const stream: StreamTarget = {
    page: location.href,
    board,
    token,
    selectors,
    resume: () => client.resumePosition,
  };
  const transport = byId("transport");
  const connection = {
    container: byId("connection"),
    state: byId("connection-state"),
    detail: byId("connection-detail"),
  };
  const socket = new ReconnectingSocket({
    connect: chainConnector(
      new TransportChain(availableTransports(globalThis)),
      { websocket: webSocketConnector(stream), sse: sseConnector(stream), poll: pollConnector(stream) },
      (name) => {
        transport.textContent = name;
      },
    ),
    onMessage: (data) => {
      client.receive(data);
      acks.processed(data);
    },
    onStatus: (status) => {
      if (status.state === "OPEN") {
        acks.connected();
        paceOnOpen();
        byId("notice").hidden = true;
        // What fired or resolved while away comes with the rules; live messages keep it current from here.
        alerts.refresh().catch((error: Error) => listener.problem(`alerts: ${error.message}`));
      }
      showConnectionStatus(connection, status);
      if (refused) connection.detail.textContent = refused;
      retry.hidden = status.retryInMs === undefined && !refused;
      // A failed attempt may be the token's fault: ask once per failure streak, and stop retrying if so.
      if (status.retryInMs !== undefined && status.attempt === 1) void stopIfRefused();
    },
  });
  const acks = new AckScheduler((text) => socket.send(text));
  // Only a WebSocket carries the pace message; streams and polls ignore what is sent.
  const paceOnOpen = paceWithVisibility((text) => socket.send(text), document);
  const retry = byId("retry-now");
  /** Set once the board refused the token: what the connection detail says until the user retries. */
  let refused: string | null = null;

  async function stopIfRefused(): Promise<void> {
    const problem = await checkCredential(location.href, board, token);
    if (!problem) return;
    refused = `token refused (${problem.code})`;
    socket.close();
    byId("grid").hidden = true;
    showNotice(problem.title, problem.advice);
    connection.detail.textContent = refused;
    retry.hidden = false;
  }

  retry.addEventListener("click", () => {
    refused = null;
    byId("grid").hidden = false;
    socket.retryNow();
  });
  window.addEventListener("online", () => socket.retryNow());
  socket.start();
  window.addEventListener("pagehide", () => socket.close());
}
