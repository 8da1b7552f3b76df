import {
  LIVE_QUERY_LIMITS,
  type LiveQueryError,
  type LiveQueryMessage,
  type LiveResult,
} from "../../../worker/protocol/live-query.ts";
import { AckScheduler } from "../ack-scheduler.ts";
import { boardUrl } from "../live-url.ts";
import { ReconnectingSocket, type SocketHandlers } from "../reconnecting-socket.ts";
import { mintTicket } from "../sse-transport.ts";
import { type StreamTarget, startAttempt } from "../transport-attempt.ts";
import { chainConnector, type TransportChain } from "../transport-chain.ts";
import { webSocketConnector } from "../websocket-transport.ts";

/** What one subscription asks for: its expression (interpolated already), its step, and the first step of history. */
export interface LiveQuerySpec {
  id: string;
  expr: string;
  stepMs: number;
  /** Seconds: the history starts at the first step at or after it. */
  start: number;
  /** The last step the subscriber holds (seconds), read at every (re)connect: a resume continues right after it. */
  after: () => number | null;
  result: (event: LiveResult) => void;
  error: (error: LiveQueryError) => void;
}

/**
 * The socket's raw subscription: a selector no series matches (`.*` matches every value, "" for a label a series
 * lacks), so the socket carries live queries and no frames.
 */
export const NO_SERIES = '*:*{__live_query__!~".*"}';

/**
 * A `query` costs 10 of the socket's 20 message units a second (bursts of 40; see "Live: GET …/live"): three go at
 * once, leaving room for acks and pings, then one every 700 ms.
 */
const QUERY_BURST = 3;
const QUERY_SPACING_MS = 700;

/** `start` or `after` for a (re)subscription: right after what the subscriber holds, else its history's start. */
const resumeFields = (spec: LiveQuerySpec) => {
  const after = spec.after();
  return after === null ? { start: spec.start } : { after };
};

/**
 * The page's live PromQL subscriptions over one connection, opened while any exists: the board's live WebSocket
 * (`query` and `unquery` messages, a subscription resumed with `after` on every reconnect), or, when the transport
 * chain falls back, `…/prometheus/live` SSE streams, one per step (a stream has one step), opened again whenever the
 * set changes. At most `LIVE_QUERY_LIMITS.perViewer` at once: `query` answers false past that.
 */
export class LiveQueryConnection {
  private readonly target: Omit<StreamTarget, "selectors" | "resume">;
  private readonly chain: TransportChain;
  private readonly subscriptions = new Map<string, LiveQuerySpec>();
  private socket: ReconnectingSocket | null = null;
  private transport: "websocket" | "sse" | "poll" | null = null;
  private open = false;
  private readonly outbox: LiveQueryMessage[] = [];
  private sentAt: number[] = [];
  private outboxTimer: ReturnType<typeof setTimeout> | undefined;
  private readonly acks = new AckScheduler((text) => this.socket?.send(text));

  constructor(target: Omit<StreamTarget, "selectors" | "resume">, chain: TransportChain) {
    this.target = target;
    this.chain = chain;
  }

  /** Subscribes (an id in use is replaced); false when the connection holds its limit already. */
  query(spec: LiveQuerySpec): boolean {
    if (!this.subscriptions.has(spec.id) && this.subscriptions.size >= LIVE_QUERY_LIMITS.perViewer)
      return false;
    this.subscriptions.set(spec.id, spec);
    if (!this.socket) this.connect();
    else
      this.changed({ type: "query", id: spec.id, expr: spec.expr, step: spec.stepMs, ...resumeFields(spec) });
    return true;
  }

  unquery(id: string): void {
    if (!this.subscriptions.delete(id)) return;
    if (this.subscriptions.size === 0) {
      this.close();
      return;
    }
    this.changed({ type: "unquery", id });
  }

  close(): void {
    this.socket?.close();
    this.socket = null;
    this.open = false;
    this.outbox.length = 0;
    clearTimeout(this.outboxTimer);
  }

  private connect(): void {
    const target = { ...this.target, selectors: [NO_SERIES], resume: () => null };
    this.socket = new ReconnectingSocket({
      connect: chainConnector(
        this.chain,
        {
          websocket: webSocketConnector(target),
          sse: (handlers) => this.openStreams(handlers),
          poll: () => {
            throw new Error("live queries have no long-poll transport");
          },
        },
        (name) => {
          this.transport = name;
        },
      ),
      onMessage: (data) => this.receive(data),
      onStatus: (status) => {
        this.open = status.state === "OPEN";
        if (!this.open || this.transport !== "websocket") return;
        this.acks.connected();
        this.outbox.length = 0;
        for (const spec of this.subscriptions.values())
          this.outbox.push({
            type: "query",
            id: spec.id,
            expr: spec.expr,
            step: spec.stepMs,
            ...resumeFields(spec),
          });
        this.sentAt = [];
        this.flush();
      },
    });
    this.socket.start();
  }

  /** A subscription changed: a message on the socket, or the streams opened again with the new set. */
  private changed(message: LiveQueryMessage): void {
    if (this.transport === "websocket") {
      if (!this.open) return;
      this.outbox.push(message);
      this.flush();
    } else this.socket?.reconnect("live queries changed");
  }

  /** Sends what the budget allows now, and schedules the rest. */
  private flush(): void {
    clearTimeout(this.outboxTimer);
    this.outboxTimer = undefined;
    while (this.outbox.length > 0 && this.open) {
      const now = Date.now();
      this.sentAt = this.sentAt.filter((at) => now - at < QUERY_BURST * QUERY_SPACING_MS);
      if (this.sentAt.length >= QUERY_BURST) {
        this.outboxTimer = setTimeout(
          () => this.flush(),
          QUERY_BURST * QUERY_SPACING_MS - (now - this.sentAt[0]!),
        );
        return;
      }
      this.sentAt.push(now);
      this.socket?.send(JSON.stringify(this.outbox.shift()));
    }
  }

  /** Every message of either transport comes here (SSE events arrive with their `type` added). */
  private receive(data: string | ArrayBuffer | Uint8Array): void {
    // Answers are acknowledged as frames are: the server closes a socket 4 MiB of either behind.
    this.acks.processed(data);
    if (typeof data !== "string") return;
    let message: { type?: string; id?: string };
    try {
      message = JSON.parse(data) as { type?: string; id?: string };
    } catch {
      return;
    }
    const spec = message.id === undefined ? undefined : this.subscriptions.get(message.id);
    if (!spec) return;
    if (message.type === "result") spec.result(message as LiveResult);
    else if (message.type === "query_error") {
      this.subscriptions.delete(spec.id);
      spec.error(message as LiveQueryError);
    }
  }

  /** One attempt of the SSE fallback: a stream per step over the current subscriptions; any error ends them all. */
  private openStreams(handlers: SocketHandlers) {
    const sources: EventSource[] = [];
    const attempt = startAttempt(handlers, () => {
      for (const source of sources) source.close();
    });
    const byStep = Map.groupBy(this.subscriptions.values(), (spec) => spec.stepMs);
    const open = async () => {
      let opened = 0;
      for (const [stepMs, specs] of byStep) {
        const ticket = await mintTicket(this.target, attempt.signal);
        if (attempt.ended) return;
        const url = boardUrl(this.target.page, this.target.board, "prometheus/live");
        url.searchParams.set("ticket", ticket);
        url.searchParams.set("step", String(stepMs / 1000));
        // One start for the stream: the earliest any subscription needs (a later one's extra history replaces nothing it lacks).
        const starts = specs.map((spec) => {
          const after = spec.after();
          return after === null ? spec.start : after + stepMs / 1000;
        });
        url.searchParams.set("start", String(Math.min(...starts)));
        for (const spec of specs) {
          url.searchParams.append("query", spec.expr);
          url.searchParams.append("id", spec.id);
        }
        const source = new EventSource(url);
        sources.push(source);
        source.onopen = () => {
          if (++opened === byStep.size) handlers.open();
        };
        for (const type of ["result", "query_error"])
          source.addEventListener(type, (event) => {
            const data = JSON.parse((event as MessageEvent).data as string) as object;
            handlers.message(JSON.stringify({ ...data, type }));
          });
        source.onerror = () => attempt.end(1006, "live query stream failed");
      }
    };
    open().catch((error: Error) => attempt.end(1006, error.message));
    return attempt.socket;
  }
}
