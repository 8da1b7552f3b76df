import { SUBPROTOCOL, TOKEN_SUBPROTOCOL_PREFIX } from "../../worker/protocol/index.ts";
import { BoardView } from "./board-view.ts";
import { showConnectionStatus } from "./connection-badge.ts";
import { parseFragment } from "./fragment.ts";
import { LiveClient } from "./live-client.ts";
import { liveSocketUrl } from "./live-url.ts";
import { ReconnectingSocket } from "./reconnecting-socket.ts";

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
  const { board, token } = target;
  byId("board-name").textContent = board;
  document.title = `${board} · edgepulse`;
  const seriesCount = byId("series-count");
  const view = new BoardView(byId("grid"), (count) => {
    seriesCount.textContent = `${count} series`;
  });
  const client = new LiveClient(view);
  const connection = {
    container: byId("connection"),
    state: byId("connection-state"),
    detail: byId("connection-detail"),
  };
  const socket = new ReconnectingSocket({
    url: () => liveSocketUrl(location.href, board, client.resumePosition),
    // Browsers cannot set headers on a WebSocket: the token travels as a subprotocol.
    protocols: [SUBPROTOCOL, `${TOKEN_SUBPROTOCOL_PREFIX}${token}`],
    onMessage: (data) => client.receive(data),
    onStatus: (status) => showConnectionStatus(connection, status),
  });
  socket.start();
  window.addEventListener("pagehide", () => socket.close());
}
