import {
  type ClientMessage,
  type DevicePresence,
  type PollAnswer,
  PROTOCOL_VERSION,
  readFrameHeader,
  type SeriesDef,
  type ServerMessage,
  type StreamPosition,
  toBase64,
  type ViewerCounts,
} from "../protocol/index.ts";
import type { StoredBatch } from "./batch-codec.ts";
import type { BatchLog } from "./batch-log.ts";
import { FlowControl } from "./flow-control.ts";
import { buildFrame, replayFrames, type SequencedBatch, type SeriesFilter } from "./frame-builder.ts";
import type { SeriesCatalog } from "./series-catalog.ts";
import { SseSink } from "./sse-sink.ts";
import { type SubscriptionGroup, Subscriptions } from "./subscriptions.ts";

/** What a viewer socket carries across hibernation. */
export interface ViewerAttachment {
  selectors: string[];
}

/** Anything the hub pushes to: a hibernatable WebSocket or an SSE stream. */
export type LiveSink = WebSocket | SseSink;

/** A replay longer than this answers `reset`: the client reloads history instead. */
export const MAX_REPLAY_POINTS = 200_000;
export const CLOSE_TRY_AGAIN_LATER = 1013;
const STREAM_KEEPALIVE_MS = 25_000;
export const VIEWER_TAG = "viewer";

/** What a viewer receives on connect after `hello`: control messages, then replayed frames. */
interface Greeting {
  resumed: boolean;
  messages: ServerMessage[];
  frames: Uint8Array[];
}

export interface LiveHubOptions {
  board: string;
  epoch: number;
  /** Coalescing window; 0 sends each batch at once. */
  tickMs: number;
  /** Frame bytes an acking socket may leave unacknowledged before it is closed with 1013. */
  maxUnackedBytes: number;
  /** Runs after each flush: the quiet start of a tick, where the board does its own deferred work. */
  afterFlush: () => void;
}

/**
 * Fans accepted batches out to viewers: coalesces a tick's batches into one binary frame per subscription group,
 * names series before frames use them, and replays missed batches from the log on resume. WebSockets, SSE streams
 * and long polls share the same greeting and replay. Holds no timer once a tick is flushed (unless SSE streams are
 * open), so an idle board can hibernate.
 */
export class LiveHub {
  private readonly ctx: DurableObjectState;
  private readonly catalog: SeriesCatalog;
  private readonly log: BatchLog;
  private readonly options: LiveHubOptions;
  private readonly subscriptions: Subscriptions<LiveSink>;
  private readonly flow: FlowControl<WebSocket>;
  private readonly streams = new Set<SseSink>();
  private readonly pollers = new Set<() => void>();
  private pending: SequencedBatch[] = [];
  private pendingSeries: SeriesDef[] = [];
  /** Presence changes since the last flush, by device; a viewer count change alone flushes an empty list. */
  private pendingPresence: Map<string, DevicePresence> | null = null;
  private flushTimer: ReturnType<typeof setTimeout> | undefined;
  private lastFlushAt = 0;
  private keepAliveTimer: ReturnType<typeof setInterval> | undefined;
  /** Every batch up to this seq has been sent to the viewers that want it. */
  private flushedSeq: number;

  constructor(ctx: DurableObjectState, catalog: SeriesCatalog, log: BatchLog, options: LiveHubOptions) {
    this.ctx = ctx;
    this.catalog = catalog;
    this.log = log;
    this.options = options;
    this.flushedSeq = log.lastSeq;
    this.subscriptions = new Subscriptions(catalog);
    this.flow = new FlowControl(options.maxUnackedBytes);
    for (const socket of ctx.getWebSockets(VIEWER_TAG)) {
      const attachment = socket.deserializeAttachment() as ViewerAttachment | null;
      if (attachment) this.subscriptions.join(socket, attachment.selectors);
    }
  }

  get position(): StreamPosition {
    return { epoch: this.options.epoch, seq: this.flushedSeq };
  }

  get viewerCount(): number {
    return this.subscriptions.size;
  }

  get viewersByTransport(): ViewerCounts {
    return {
      websocket: this.subscriptions.size - this.streams.size,
      sse: this.streams.size,
      poll: this.pollers.size,
    };
  }

  /** Accepts a viewer socket, greets it, and either replays from `resume` or sends a fresh snapshot. */
  connect(socket: WebSocket, selectors: string[], resume: StreamPosition | null): void {
    this.ctx.acceptWebSocket(socket, [VIEWER_TAG]);
    socket.serializeAttachment({ selectors } satisfies ViewerAttachment);
    this.welcome(socket, selectors, resume);
  }

  /** Opens an SSE stream greeted like a socket; `resume` usually comes from `Last-Event-ID`. */
  openStream(selectors: string[], resume: StreamPosition | null): Response {
    const stream = new SseSink((closed) => {
      this.streams.delete(closed);
      this.leave(closed);
    });
    this.streams.add(stream);
    this.keepAliveTimer ??= setInterval(() => this.keepStreamsAlive(), STREAM_KEEPALIVE_MS);
    this.welcome(stream, selectors, resume);
    return stream.response;
  }

  /**
   * Long poll: answers at once when batches after `after` exist (or the position is unusable), else waits up to
   * `waitMs` for the next flush. A waiting poll keeps the board awake.
   */
  async poll(selectors: string[], after: StreamPosition | null, waitMs: number): Promise<PollAnswer> {
    if (after && after.epoch === this.options.epoch && after.seq === this.flushedSeq) {
      await new Promise<void>((resolve) => {
        const done = () => {
          clearTimeout(timer);
          this.pollers.delete(done);
          resolve();
        };
        const timer = setTimeout(done, waitMs);
        this.pollers.add(done);
      });
    }
    const greeting = this.greeting(selectors, after);
    return { ...this.position, messages: greeting.messages, frames: greeting.frames.map(toBase64) };
  }

  /** Applies a client's control message. */
  handle(socket: WebSocket, message: ClientMessage): void {
    if (message.type === "ack") {
      this.flow.ack(socket, message.seq);
      return;
    }
    const current = this.subscriptions.of(socket)?.selectors ?? [];
    const selectors =
      message.type === "subscribe" ? message.series : current.filter((s) => !message.series.includes(s));
    socket.serializeAttachment({ selectors } satisfies ViewerAttachment);
    this.leave(socket);
    this.sendTo(socket, this.snapshot(this.subscriptions.join(socket, selectors)));
  }

  /** Forgets a closed or failed viewer. */
  leave(sink: LiveSink): void {
    this.subscriptions.leave(sink);
    if (!(sink instanceof SseSink)) this.flow.forget(sink);
    if (this.streams.size === 0 && this.keepAliveTimer !== undefined) {
      clearInterval(this.keepAliveTimer);
      this.keepAliveTimer = undefined;
    }
  }

  /**
   * Queues an accepted batch for the next tick; `created` are the series it introduced and `presence` the devices it
   * brought online, sent in the same flush.
   */
  publish(seq: number, batch: StoredBatch, created: SeriesDef[], presence: DevicePresence[]): void {
    if (created.length > 0) {
      this.pendingSeries.push(...created);
      this.subscriptions.addSeries(created);
    }
    if (this.subscriptions.size === 0 && this.pollers.size === 0) {
      this.flushedSeq = seq;
      this.pendingSeries = [];
      return;
    }
    this.pending.push({ seq, batch });
    if (presence.length > 0) this.addPresence(presence);
    this.scheduleFlush();
  }

  /** Queues presence changes (and the current viewer count) for the next tick. */
  queuePresence(devices: DevicePresence[]): void {
    this.addPresence(devices);
    this.scheduleFlush();
  }

  private addPresence(devices: DevicePresence[]): void {
    if (this.subscriptions.size === 0) return;
    this.pendingPresence ??= new Map();
    for (const device of devices) this.pendingPresence.set(device.device, device);
  }

  /** Sends what is pending: presence, then new series, then one frame per subscription group. */
  flush(): void {
    if (this.flushTimer !== undefined) clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
    this.lastFlushAt = Date.now();
    const batches = this.pending;
    const created = this.pendingSeries;
    const presence = this.pendingPresence;
    this.pending = [];
    this.pendingSeries = [];
    this.pendingPresence = null;
    if (presence) {
      const message = JSON.stringify({
        type: "presence",
        devices: [...presence.values()],
        viewers: this.viewerCount,
      } satisfies ServerMessage);
      for (const group of this.subscriptions.all()) this.broadcast(group, message);
    }
    if (batches.length === 0) return;
    this.flushedSeq = batches[batches.length - 1]!.seq;
    for (const group of this.subscriptions.all()) {
      const named = created.filter((def) => group.wants(def));
      if (named.length > 0) this.broadcast(group, JSON.stringify({ type: "series", series: named }));
      const frame = buildFrame(this.options.epoch, batches, group.filter);
      if (frame) this.broadcast(group, frame);
    }
    for (const wake of [...this.pollers]) wake();
    this.options.afterFlush();
  }

  /** Sends one control message to one viewer. */
  sendTo(sink: LiveSink, message: ServerMessage): void {
    this.deliver(sink, JSON.stringify(message));
  }

  /** True while pending data waits for the next tick. */
  get flushScheduled(): boolean {
    return this.flushTimer !== undefined;
  }

  /**
   * At most one flush per tick: data arriving after a quiet tick goes out at once, data arriving within a tick of the
   * last flush waits for the tick's end. So no point waits a full tick behind an idle hub.
   */
  private scheduleFlush(): void {
    if (this.flushTimer !== undefined) return;
    const wait = this.lastFlushAt + this.options.tickMs - Date.now();
    if (wait <= 0) this.flush();
    else this.flushTimer = setTimeout(() => this.flush(), wait);
  }

  private welcome(sink: LiveSink, selectors: string[], resume: StreamPosition | null): void {
    const greeting = this.greeting(selectors, resume);
    this.subscriptions.join(sink, selectors);
    this.sendTo(sink, {
      type: "hello",
      v: PROTOCOL_VERSION,
      board: this.options.board,
      tickMs: this.options.tickMs,
      resumed: greeting.resumed,
      ...this.position,
    });
    for (const message of greeting.messages) this.sendTo(sink, message);
    for (const frame of greeting.frames) this.deliver(sink, frame, readFrameHeader(frame).toSeq);
  }

  /** A resumed viewer gets the series catalog and the frames it missed; any other a snapshot (after `reset`). */
  private greeting(selectors: string[], resume: StreamPosition | null): Greeting {
    const group = this.subscriptions.lookup(selectors);
    const frames = resume ? this.replayFrom(resume, group.filter) : null;
    if (frames) {
      return {
        resumed: true,
        messages: [{ type: "series", series: this.subscriptions.matching(group) }],
        frames,
      };
    }
    const messages: ServerMessage[] = [];
    if (resume)
      messages.push({ type: "reset", reason: "resume point is no longer available", ...this.position });
    messages.push(this.snapshot(group));
    return { resumed: false, messages, frames: [] };
  }

  private snapshot(group: SubscriptionGroup<LiveSink>): ServerMessage {
    const series = this.subscriptions.matching(group).map((def) => this.catalog.state(def));
    return { type: "snapshot", series, ...this.position };
  }

  /** Frames covering what a client missed since `resume`, or null when that cannot be replayed exactly. */
  private replayFrom(resume: StreamPosition, filter: SeriesFilter): Uint8Array[] | null {
    if (resume.epoch !== this.options.epoch || resume.seq > this.flushedSeq) return null;
    if (resume.seq === this.flushedSeq) return [];
    const first = this.log.firstSeq();
    if (first === null || first > resume.seq + 1) return null;
    if (this.log.pointsAfter(resume.seq) > MAX_REPLAY_POINTS) return null;
    return replayFrames(this.options.epoch, this.log.read(resume.seq, this.flushedSeq), filter);
  }

  private keepStreamsAlive(): void {
    for (const stream of this.streams) stream.keepAlive();
  }

  /** Sends to every member of a group; the payload was encoded, and its header read, once for all of them. */
  private broadcast(group: SubscriptionGroup<LiveSink>, payload: string | Uint8Array): void {
    const seq = typeof payload === "string" ? 0 : readFrameHeader(payload).toSeq;
    for (const sink of group.members) this.deliver(sink, payload, seq);
  }

  /** `seq` is the last batch a binary frame covers, for flow control. */
  private deliver(sink: LiveSink, payload: string | Uint8Array, seq = 0): void {
    if (sink instanceof SseSink) {
      sink.send(payload);
      return;
    }
    if (sink.readyState !== WebSocket.OPEN) return;
    if (typeof payload !== "string" && !this.flow.sent(sink, seq, payload.byteLength)) {
      this.drop(sink, CLOSE_TRY_AGAIN_LATER, "viewer too far behind; resume later");
      return;
    }
    try {
      sink.send(payload);
    } catch (error) {
      console.warn(`board ${this.options.board}: send failed, closing viewer`, error);
      this.drop(sink, 1011, "send failed");
    }
  }

  private drop(socket: WebSocket, code: number, reason: string): void {
    this.leave(socket);
    try {
      socket.close(code, reason);
    } catch {
      // Already closing.
    }
  }
}
