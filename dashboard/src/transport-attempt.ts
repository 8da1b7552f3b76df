import type { StreamPosition } from "../../worker/protocol/index.ts";
import type { SocketHandlers, SocketLike } from "./reconnecting-socket.ts";

/** Where every transport connects, what it watches, and the position to resume from, read afresh per attempt. */
export interface StreamTarget {
  page: string;
  board: string;
  token: string;
  selectors: readonly string[];
  resume: () => StreamPosition | null;
}

/** One attempt of a fetch-based transport: ends once, whoever ends it first. */
export interface Attempt {
  /** Aborted when the attempt ends, which cancels its requests. */
  readonly signal: AbortSignal;
  readonly ended: boolean;
  end(code: number, reason: string): void;
  /** What the reconnect loop holds: closing it ends the attempt. */
  readonly socket: SocketLike;
}

/** Starts an attempt whose end runs `cleanup` and reports the close exactly once. */
export function startAttempt(handlers: SocketHandlers, cleanup: () => void = () => {}): Attempt {
  const abort = new AbortController();
  const attempt: Attempt = {
    signal: abort.signal,
    get ended() {
      return abort.signal.aborted;
    },
    end(code, reason) {
      if (abort.signal.aborted) return;
      abort.abort();
      cleanup();
      handlers.close(code, reason);
    },
    socket: { close: (code = 1000, reason = "closed") => attempt.end(code, reason) },
  };
  return attempt;
}
