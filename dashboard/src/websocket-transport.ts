import { SUBPROTOCOL, TOKEN_SUBPROTOCOL_PREFIX } from "../../worker/protocol/index.ts";
import { liveSocketUrl } from "./live-url.ts";
import type { Connector } from "./reconnecting-socket.ts";
import type { StreamTarget } from "./transport-attempt.ts";

/** Opens the board's live WebSocket; binary messages arrive as ArrayBuffers. */
export function webSocketConnector(target: StreamTarget): Connector {
  // Browsers cannot set headers on a WebSocket: the token travels as a subprotocol.
  const protocols = [SUBPROTOCOL, `${TOKEN_SUBPROTOCOL_PREFIX}${target.token}`];
  return (handlers) => {
    const socket = new WebSocket(
      liveSocketUrl(target.page, target.board, target.resume(), target.selectors),
      protocols,
    );
    socket.binaryType = "arraybuffer";
    socket.onopen = () => handlers.open();
    socket.onmessage = (event) => handlers.message(event.data as string | ArrayBuffer);
    socket.onclose = (event) => handlers.close(event.code, event.reason);
    return socket;
  };
}
