import { LIVE_QUERY_LIMITS, type LiveQueryMessage } from "../protocol/live-query.ts";
import { type LiveQueries, Watcher } from "./live-queries.ts";
import { type EncodedEvent, encodeError } from "./live-query.ts";
import { type HeldQuery, readAttachment, updateAttachment } from "./viewer-attachment.ts";
import type { Viewers } from "./viewers.ts";

/** One socket's subscriptions: the watchers running, and what its attachment keeps of each. */
interface SocketState {
  watchers: Map<string, Watcher>;
  held: Map<string, HeldQuery>;
}

/**
 * The live PromQL subscriptions of an object's sockets. Each socket's attachment keeps its subscriptions and the next
 * step each is to get, updated as steps are sent: after an eviction of the object (its sockets stay connected), the
 * object resubscribes them from there (`restore`), so a socket's stream goes on with no gap and no repeat.
 */
export class SocketQueries {
  private readonly live: LiveQueries;
  private readonly viewers: () => Viewers | null;
  private readonly sockets = new WeakMap<WebSocket, SocketState>();

  constructor(live: LiveQueries, viewers: () => Viewers | null) {
    this.live = live;
    this.viewers = viewers;
  }

  /** Whether any of these sockets holds subscriptions (kept in its attachment). */
  static holding(sockets: WebSocket[]): boolean {
    return sockets.some((socket) => (readAttachment(socket)?.queries?.length ?? 0) > 0);
  }

  /** A `query` (replacing one with its id) or an `unquery`. */
  handle(socket: WebSocket, message: LiveQueryMessage): void {
    const state = this.stateOf(socket);
    this.end(state, message.id);
    if (message.type === "unquery") {
      this.save(socket, state);
      return;
    }
    const problem = this.refusal(state, message.expr);
    if (problem) {
      this.save(socket, state);
      new Watcher(message.id, (_, event) => this.send(socket, message.id, event)).open(
        encodeError({ errorType: "execution", error: problem }, 0),
      );
      return;
    }
    const { after, start, step } = message;
    const first = after !== undefined ? after * 1000 + step : start === undefined ? null : start * 1000;
    const from = first === null ? null : Math.ceil(first / step) * step;
    this.subscribe(socket, state, { id: message.id, expr: message.expr, step, from });
    this.save(socket, state);
  }

  /**
   * Resubscribes what sockets that outlived an eviction of this object held, each from the next step it is to get
   * (sockets this object already serves are skipped).
   */
  restore(sockets: WebSocket[]): void {
    for (const socket of sockets) {
      if (this.sockets.has(socket)) continue;
      const held = readAttachment(socket)?.queries ?? [];
      if (held.length === 0) continue;
      const state = this.stateOf(socket);
      for (const query of held) this.subscribe(socket, state, { ...query });
    }
  }

  /** Ends a closed socket's subscriptions. */
  left(socket: WebSocket): void {
    const state = this.sockets.get(socket);
    if (!state) return;
    for (const watcher of state.watchers.values()) this.live.unsubscribe(watcher);
    this.sockets.delete(socket);
  }

  private stateOf(socket: WebSocket): SocketState {
    let state = this.sockets.get(socket);
    if (!state) {
      state = { watchers: new Map(), held: new Map() };
      this.sockets.set(socket, state);
    }
    return state;
  }

  /** Why a socket may not add a subscription of `expr`, or null. */
  private refusal(state: SocketState, expr: string): string | null {
    const { perViewer, expressionCharsPerViewer } = LIVE_QUERY_LIMITS;
    if (state.held.size >= perViewer) return `a viewer holds at most ${perViewer} live queries`;
    let chars = expr.length;
    for (const held of state.held.values()) chars += held.expr.length;
    if (chars > expressionCharsPerViewer)
      return `a viewer's live queries hold at most ${expressionCharsPerViewer} expression characters in all`;
    return null;
  }

  private subscribe(socket: WebSocket, state: SocketState, held: HeldQuery): void {
    const watcher = new Watcher(held.id, (_, event) => {
      this.send(socket, held.id, event);
      if (state.held.get(held.id) !== held) return;
      if (event.kind === "error") this.end(state, held.id);
      else if (event.kind !== "correction") held.from = event.end + held.step;
      else return;
      this.save(socket, state);
    });
    state.watchers.set(held.id, watcher);
    state.held.set(held.id, held);
    void this.live.subscribe(watcher, { expr: held.expr, stepMs: held.step, start: held.from });
  }

  private end(state: SocketState, id: string): void {
    const watcher = state.watchers.get(id);
    if (watcher) this.live.unsubscribe(watcher);
    state.watchers.delete(id);
    state.held.delete(id);
  }

  private save(socket: WebSocket, state: SocketState): void {
    if (socket.readyState !== WebSocket.OPEN) return;
    // Copies: the attachment is what was sent when it was written, not what is sent later.
    updateAttachment(socket, { queries: [...state.held.values()].map((held) => ({ ...held })) });
  }

  /** A `result` or `query_error` message, the event's shared part encoded once for all its watchers. */
  private send(socket: WebSocket, id: string, event: EncodedEvent): void {
    const type = event.kind === "error" ? "query_error" : "result";
    const head = `{"type":"${type}","id":${JSON.stringify(id)},`;
    this.viewers()?.sendAnswer(socket, head + event.tail, head.length + event.bytes);
  }
}
