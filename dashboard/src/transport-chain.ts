import type { Connector, SocketHandlers } from "./reconnecting-socket.ts";

/** Also what the header shows. */
export type TransportName = "websocket" | "sse" | "poll";

/** Most preferred first: a hibernatable socket costs the board nothing while idle; polls cost the most. */
export const TRANSPORT_ORDER: readonly TransportName[] = ["websocket", "sse", "poll"];

/** Attempts in a row that end before the server says anything, after which a transport is given up. */
export const FAILURES_BEFORE_FALLBACK = 2;

/** The transports a browser offers (a page, a proxy or a policy may remove WebSocket or EventSource). */
export function availableTransports(scope: { WebSocket?: unknown; EventSource?: unknown }): TransportName[] {
  return TRANSPORT_ORDER.filter(
    (name) =>
      (name !== "websocket" || typeof scope.WebSocket === "function") &&
      (name !== "sse" || typeof scope.EventSource === "function"),
  );
}

/**
 * Which transport to try: the first available, until FAILURES_BEFORE_FALLBACK attempts in a row close before the
 * server said anything (its `hello`, or a first poll answer), or one cannot even be created; then the next. A
 * transport that has worked once is kept: its later failures are outages, not a proxy that blocks it. The last
 * one is never given up.
 */
export class TransportChain {
  private readonly order: readonly TransportName[];
  private readonly failuresBeforeFallback: number;
  private index = 0;
  private failures = 0;
  private worked = false;

  constructor(available: readonly TransportName[], failuresBeforeFallback = FAILURES_BEFORE_FALLBACK) {
    if (available.length === 0) throw new Error("no live transport is available");
    this.order = available;
    this.failuresBeforeFallback = failuresBeforeFallback;
  }

  get current(): TransportName {
    return this.order[this.index]!;
  }

  /** An attempt ended; `heard` says whether the server said anything on it. */
  ended(heard: boolean): void {
    if (heard) {
      this.worked = true;
      this.failures = 0;
    } else if (!this.worked && ++this.failures >= this.failuresBeforeFallback) {
      this.fallBack();
    }
  }

  /** The current transport cannot be created here, e.g. its constructor throws. */
  unusable(): void {
    this.fallBack();
  }

  private fallBack(): void {
    if (this.index === this.order.length - 1) return;
    this.index++;
    this.failures = 0;
    this.worked = false;
  }
}

/**
 * A connector that opens the chain's current transport, reports which one (`onTransport`), and tells the chain how
 * each attempt went.
 */
export function chainConnector(
  chain: TransportChain,
  connectors: Record<TransportName, Connector>,
  onTransport: (name: TransportName) => void,
): Connector {
  return (handlers) => {
    const name = chain.current;
    onTransport(name);
    let heard = false;
    const watched: SocketHandlers = {
      open: () => handlers.open(),
      message: (data) => {
        heard = true;
        handlers.message(data);
      },
      close: (code, reason) => {
        chain.ended(heard);
        handlers.close(code, reason);
      },
    };
    try {
      return connectors[name](watched);
    } catch (error) {
      chain.unusable();
      // The caller holds the returned connection only after this returns: report the close just after.
      queueMicrotask(() => handlers.close(1006, `${name} unavailable: ${(error as Error).message}`));
      return { close: () => {} };
    }
  };
}
