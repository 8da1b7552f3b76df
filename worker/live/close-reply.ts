/** Codes a Close frame never carries (RFC 6455 §7.4.1): they only report what happened locally. */
const LOCAL_ONLY_CODES = new Set([1005, 1006, 1015]);

/**
 * Answers a client's Close with one of our own (RFC 6455 §5.5.1), echoing its code, else the client waits for it
 * and reports 1006. The runtime does not do it for hibernatable sockets, whatever the compatibility date; a code
 * we may not send is answered 1000, and a socket already closing throws, which is fine.
 */
export function answerClose(socket: WebSocket, code: number, reason: string): void {
  try {
    socket.close(LOCAL_ONLY_CODES.has(code) ? 1000 : code, reason);
  } catch {
    try {
      socket.close(1000, reason);
    } catch {
      // Already closed.
    }
  }
}
