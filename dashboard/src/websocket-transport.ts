import { SUBPROTOCOL, TOKEN_SUBPROTOCOL_PREFIX } from "../../worker/protocol/index.ts";
import { liveSocketUrl } from "./live-url.ts";
import type { Connector } from "./reconnecting-socket.ts";
import { type StreamTarget, startAttempt } from "./transport-attempt.ts";

/** Opens the board's live WebSocket; binary messages arrive as ArrayBuffers. */
export function webSocketConnector(target: StreamTarget): Connector {
  // Browsers cannot set headers on a WebSocket: the token travels as a subprotocol.
  const protocols = [SUBPROTOCOL, `${TOKEN_SUBPROTOCOL_PREFIX}${target.token}`];
  return (handlers) => {
    let socket: WebSocket;
    try {
      socket = new WebSocket(
        liveSocketUrl(target.page, target.board, target.resume(), target.selectors),
        protocols,
      );
    } catch (error) {
      // A page policy (CSP) or a proxy can refuse the socket outright: a failed attempt, so the chain falls back.
      const attempt = startAttempt(handlers);
      queueMicrotask(() => attempt.end(1006, `WebSocket refused: ${(error as Error).message}`));
      return attempt.socket;
    }
    socket.binaryType = "arraybuffer";
    socket.onopen = () => handlers.open();
    socket.onmessage = (event) => handlers.message(event.data as string | ArrayBuffer);
    socket.onclose = (event) => handlers.close(event.code, event.reason);
    return socket;
  };
}
