import { ALL_SERIES, type StreamPosition } from "../../worker/protocol/index.ts";
import { AckScheduler } from "./ack-scheduler.ts";
import { BoardView } from "./board-view.ts";
import { showConnectionStatus } from "./connection-badge.ts";
import { parseFragment } from "./fragment.ts";
import { showHistoryStatus } from "./history-badge.ts";
import { fetchHistory } from "./history-query.ts";
import { HistorySync } from "./history-sync.ts";
import { LiveClient } from "./live-client.ts";
import { pollConnector } from "./poll-transport.ts";
import { createRangePicker } from "./range-picker.ts";
import { ReconnectingSocket } from "./reconnecting-socket.ts";
import { sseConnector } from "./sse-transport.ts";
import { DEFAULT_RANGE } from "./time-range.ts";
import type { StreamTarget } from "./transport-attempt.ts";
import { availableTransports, chainConnector, TransportChain } from "./transport-chain.ts";
import { webSocketConnector } from "./websocket-transport.ts";

function byId(id: string): HTMLElement {
  const element = document.getElementById(id);
  if (!element) throw new Error(`index.html lacks #${id}`);
  return element;
}

// A new board or token in the fragment is a new dashboard.
window.addEventListener("hashchange", () => location.reload());

const target = parseFragment(location.hash);
if (!target.ok) {
  const notice = byId("notice");
  notice.textContent = target.problem;
  notice.hidden = false;
} else {
  const { board, token, selectors } = target;
  byId("board-name").textContent = board;
  document.title = `${board} · edgepulse`;
  const seriesCount = byId("series-count");
  const view = new BoardView(byId("grid"), DEFAULT_RANGE, ({ shown, total }) => {
    seriesCount.textContent =
      shown === total
        ? `${total} series`
        : `${shown} of ${total} series (narrow with &series=device:* in the URL)`;
  });
  const historyBadge = byId("history");
  const history = new HistorySync({
    view,
    range: DEFAULT_RANGE,
    load: (series, range, signal) => fetchHistory(location.href, board, token, series, range, signal),
    livePosition: (): StreamPosition | null => client.resumePosition,
    onStatus: (status) => showHistoryStatus(historyBadge, status),
  });
  const everything = selectors.length === 1 && selectors[0] === ALL_SERIES;
  const client = new LiveClient(history, (reason) => socket.reconnect(reason), everything);
  createRangePicker(byId("ranges"), DEFAULT_RANGE, (range) => history.select(range));

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
      if (typeof data !== "string") acks.processed();
    },
    onStatus: (status) => {
      if (status.state === "OPEN") acks.connected();
      showConnectionStatus(connection, status);
    },
  });
  const acks = new AckScheduler((text) => socket.send(text));
  socket.start();
  window.addEventListener("pagehide", () => socket.close());
}
