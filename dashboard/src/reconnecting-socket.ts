import { PING } from "../../worker/protocol/index.ts";
import { type BackoffOptions, backoffDelay, DEFAULT_BACKOFF } from "./backoff.ts";

/** The WebSocket readyState names, which the connection indicator shows. */
export type ConnectionState = "CONNECTING" | "OPEN" | "CLOSING" | "CLOSED";

export interface ConnectionStatus {
  state: ConnectionState;
  /** Reconnect attempts since the server last answered. */
  attempt: number;
  /** Set while waiting to reconnect. */
  retryInMs?: number;
}

/** What a transport may deliver: JSON text, or a binary data frame. */
export type TransportData = string | ArrayBuffer | Uint8Array;

export interface SocketHandlers {
  open(): void;
  message(data: TransportData): void;
  close(code: number, reason: string): void;
}

/** The parts of a connection this module drives; one without `send` gets no keepalive pings. */
export interface SocketLike {
  send?(data: string): void;
  close(code?: number, reason?: string): void;
}

/** Opens one connection attempt; asked again for every reconnect, so it can carry the latest resume position. */
export type Connector = (handlers: SocketHandlers) => SocketLike;

export interface ReconnectingSocketOptions {
  connect: Connector;
  onMessage(data: TransportData): void;
  onStatus(status: ConnectionStatus): void;
  random?: () => number;
  backoff?: BackoffOptions;
  /** A `ping` goes out this often; a socket that sent nothing since the previous ping is given up. */
  keepaliveMs?: number;
}

const KEEPALIVE_TIMEOUT_CODE = 4000;
const RESYNC_CODE = 4001;

/**
 * A connection that comes back (a WebSocket, or a fallback with the same shape): after any close it waits a capped,
 * fully jittered exponential backoff and reconnects, until `close()` is called. Reports every state change.
 */
export class ReconnectingSocket {
  private readonly options: Required<Omit<ReconnectingSocketOptions, "backoff">> & {
    backoff: BackoffOptions;
  };
  private socket: SocketLike | null = null;
  private attempt = 0;
  private stopped = false;
  private retryTimer: ReturnType<typeof setTimeout> | undefined;
  private keepaliveTimer: ReturnType<typeof setInterval> | undefined;
  private lastReceivedAt = 0;
  private lastPingAt = 0;

  constructor(options: ReconnectingSocketOptions) {
    this.options = {
      random: Math.random,
      backoff: DEFAULT_BACKOFF,
      keepaliveMs: 25_000,
      ...options,
    };
  }

  /** Connects now. */
  start(): void {
    this.stopped = false;
    this.connect();
  }

  /** Sends on the current connection when it can send (WebSocket); a no-op otherwise. */
  send(text: string): void {
    this.socket?.send?.(text);
  }

  /** Drops the current connection and reconnects (resuming from where the client is); the backoff applies. */
  reconnect(reason: string): void {
    this.socket?.close(RESYNC_CODE, reason);
  }

  /** Reconnects now instead of waiting out the backoff (the browser came back online, or the user asked). */
  retryNow(): void {
    if (this.socket) return;
    this.stopped = false;
    this.attempt = 0;
    clearTimeout(this.retryTimer);
    this.connect();
  }

  /** Closes for good: no more reconnects. */
  close(): void {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    const socket = this.socket;
    if (!socket) {
      this.report("CLOSED");
      return;
    }
    this.report("CLOSING");
    socket.close(1000, "dashboard closed");
  }

  private connect(): void {
    this.retryTimer = undefined;
    this.report("CONNECTING");
    // Events of a socket we have given up on must not touch the current one.
    const isCurrent = () => this.socket === socket;
    const socket: SocketLike = this.options.connect({
      open: () => {
        if (!isCurrent()) return;
        this.startKeepalive();
        this.report("OPEN");
      },
      message: (data) => {
        if (!isCurrent()) return;
        this.lastReceivedAt = Date.now();
        this.attempt = 0;
        this.options.onMessage(data);
      },
      close: () => {
        if (isCurrent()) this.closed();
      },
    });
    this.socket = socket;
  }

  private closed(): void {
    this.socket = null;
    clearInterval(this.keepaliveTimer);
    if (this.stopped) {
      this.report("CLOSED");
      return;
    }
    const delay = backoffDelay(this.attempt, this.options.random, this.options.backoff);
    this.attempt++;
    this.retryTimer = setTimeout(() => this.connect(), delay);
    this.report("CLOSED", delay);
  }

  /**
   * Compares against the last ping rather than a fixed timeout: background tabs may run timers only once a minute
   * (https://developer.chrome.com/blog/timer-throttling-in-chrome-88), and a pong still arrives in between.
   */
  private startKeepalive(): void {
    clearInterval(this.keepaliveTimer);
    if (!this.socket?.send) return;
    this.lastPingAt = 0;
    this.lastReceivedAt = Date.now();
    this.keepaliveTimer = setInterval(() => {
      const socket = this.socket;
      if (!socket) return;
      if (this.lastReceivedAt >= this.lastPingAt) {
        this.lastPingAt = Date.now();
        socket.send?.(PING);
        return;
      }
      // A half-open connection may never deliver its close event: stop waiting for it.
      this.socket = null;
      socket.close(KEEPALIVE_TIMEOUT_CODE, "keepalive timeout");
      this.closed();
    }, this.options.keepaliveMs);
  }

  private report(state: ConnectionState, retryInMs?: number): void {
    this.options.onStatus({
      state,
      attempt: this.attempt,
      ...(retryInMs !== undefined ? { retryInMs } : {}),
    });
  }
}
