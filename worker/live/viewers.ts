import {
  type AlertEvent,
  type ClientMessage,
  type DevicePresence,
  type LiveQueryMessage,
  type PollAnswer,
  PROTOCOL_VERSION,
  paceIntervalMs,
  type SeriesDef,
  type ServerMessage,
  type ShardPosition,
  type StreamPosition,
  shardPosition,
  toBase64,
  type ViewerCounts,
} from "../protocol/index.ts";
import { ClientCaps, STREAMS_PER_ADDRESS, STREAMS_PER_CREDENTIAL } from "./client-caps.ts";
import { MAX_REPLAY_POINTS, type ReplaySource } from "./continuity.ts";
import { FlowControl } from "./flow-control.ts";
import { buildFrame, replayFrames } from "./frame-builder.ts";
import type { BoardMirror, MirrorState, ShardBatches } from "./mirror.ts";
import { SseSink } from "./sse-sink.ts";
import { type SubscriptionGroup, Subscriptions } from "./subscriptions.ts";
import { readAttachment, updateAttachment, writeAttachment } from "./viewer-attachment.ts";

/** A paced group's frames not yet sent, and when it was last sent some. */
interface Held {
  parts: ShardBatches[];
  lastSentAt: number;
}

/** Anything viewers are pushed to: a hibernatable WebSocket or an SSE stream. */
export type LiveSink = WebSocket | SseSink;

export const CLOSE_TRY_AGAIN_LATER = 1013;
/** A long poll replays at most this many points; one further behind gets a snapshot (after `reset`). */
export const MAX_POLL_REPLAY_POINTS = 20_000;
export const VIEWER_TAG = "viewer";
const STREAM_KEEPALIVE_MS = 25_000;
/** An object stays fed (shards push, a hub forwards) this long after it answered a poll: the next poll comes back. */
export const POLL_IDLE_AFTER_MS = 30_000;

/**
 * What one flush sends: per shard, batches that follow on from what viewers have; new series; presence changes;
 * alert transitions.
 */
export interface Flush {
  shards: ShardBatches[];
  series: SeriesDef[];
  presence: DevicePresence[];
  alerts: AlertEvent[];
  /** Paced viewers get what their groups hold now (a history answer was aligned with this flush). */
  release?: true;
}

export const emptyFlush = (): Flush => ({ shards: [], series: [], presence: [], alerts: [] });

export interface ViewersOptions {
  board: string;
  /** The longest coalescing wait, announced in `hello`. */
  tickMs: number;
  /**
   * Frame bytes, and live query answer bytes, any socket may leave unacknowledged before it is closed with 1013
   * (acking or not).
   */
  maxUnackedBytes: number;
  /** Where replays read shards' logs. */
  replay: ReplaySource;
  /** Called when something was queued for the next flush (the owner decides when it runs). */
  queued: () => void;
}

/** What a viewer receives on connect after `hello`: control messages, then replayed frames. */
interface Greeting {
  resumed: boolean;
  positions: StreamPosition;
  messages: ServerMessage[];
  frames: Uint8Array[];
}

/**
 * The viewers of one object (a hub or a relay): hibernatable WebSockets, SSE streams and long polls, grouped by
 * subscription. A flush sends one frame per group and shard, encoded once; a new or resuming viewer is greeted with
 * a snapshot, or with the batches it missed replayed from the shards' logs, and joins its group only once caught
 * up, so it gets every batch exactly once and in order. Frames name their shard and seqs, so a client can check.
 */
export class Viewers {
  private readonly ctx: DurableObjectState;
  private readonly mirror: BoardMirror;
  private readonly options: ViewersOptions;
  private readonly subscriptions: Subscriptions<LiveSink>;
  private readonly flow: FlowControl<WebSocket>;
  /** Live query answers (`result`, `query_error`), counted apart from frames: `ack`'s `results`. */
  private readonly answerFlow: FlowControl<WebSocket>;
  private readonly streams = new Set<SseSink>();
  /** Caps on the streams and polls each client holds open here. */
  readonly clients = new ClientCaps(STREAMS_PER_CREDENTIAL, STREAMS_PER_ADDRESS);
  private readonly pollers = new Set<() => void>();
  /** Viewers being greeted: not in a group yet, but a shard's push meanwhile must still be taken. */
  private greetingsInProgress = 0;
  private pending: Flush = emptyFlush();
  /** Messages sent since the last flush began: the last flush's, once it returned. */
  private sentMessages = 0;
  private presencePending = false;
  private keepAliveTimer: ReturnType<typeof setInterval> | undefined;
  /** What paced groups hold, and the timer that sends it when due (none while nothing is held). */
  private readonly held = new WeakMap<SubscriptionGroup<LiveSink>, Held>();
  private paceTimer: ReturnType<typeof setTimeout> | undefined;
  private lastPollAt = Number.NEGATIVE_INFINITY;

  constructor(ctx: DurableObjectState, mirror: BoardMirror, options: ViewersOptions) {
    this.ctx = ctx;
    this.mirror = mirror;
    this.options = options;
    this.subscriptions = new Subscriptions(mirror);
    this.flow = new FlowControl(options.maxUnackedBytes);
    this.answerFlow = new FlowControl(options.maxUnackedBytes);
    for (const socket of ctx.getWebSockets(VIEWER_TAG)) {
      const attachment = readAttachment(socket);
      if (attachment) this.subscriptions.join(socket, attachment.selectors, attachment.paceMs ?? 0);
    }
  }

  get viewerCount(): number {
    return this.subscriptions.size;
  }

  /**
   * No viewer (joined, or still being greeted), no waiting poll, and no poll for POLL_IDLE_AFTER_MS: the object may
   * stop being fed and hibernate.
   */
  get idle(): boolean {
    return (
      this.subscriptions.size === 0 &&
      this.greetingsInProgress === 0 &&
      this.pollers.size === 0 &&
      Date.now() - this.lastPollAt >= POLL_IDLE_AFTER_MS
    );
  }

  get viewersByTransport(): ViewerCounts {
    return {
      websocket: this.subscriptions.size - this.streams.size,
      sse: this.streams.size,
      poll: this.pollers.size,
    };
  }

  /** The board as these viewers were sent it (a relay starts from its hub's). */
  mirrorState(): MirrorState {
    return this.mirror.state();
  }

  /** Per shard, the newest seq these viewers may hold (see BoardMirror.heldAtMost). */
  heldAtMost(): StreamPosition {
    return this.mirror.heldAtMost();
  }

  /** Where a shard's viewers will be after the next flush: what they were sent, plus what is queued. */
  queuedPosition(sid: number): ShardPosition | undefined {
    const queued = this.pending.shards.findLast((part) => part.sid === sid);
    const last = queued?.batches.at(-1);
    return last && queued ? { sid, epoch: queued.epoch, seq: last.seq } : this.mirror.position(sid);
  }

  /** Accepts a viewer socket; it joins its group once greeted (see `greet`). */
  async connect(
    socket: WebSocket,
    selectors: string[],
    resume: StreamPosition | null,
    paceMs = 0,
  ): Promise<void> {
    this.ctx.acceptWebSocket(socket, [VIEWER_TAG]);
    writeAttachment(socket, { selectors, paceMs });
    await this.greet(socket, selectors, resume, paceMs);
    this.sendTo(socket, this.presenceMessage(this.mirror.devices()));
  }

  /** Opens an SSE stream greeted like a socket; `resume` usually comes from `Last-Event-ID`. */
  openStream(
    selectors: string[],
    resume: StreamPosition | null,
    onClose: () => void,
    paceMs = 0,
    owner = "",
  ): Response {
    const stream = new SseSink((closed) => {
      this.streams.delete(closed);
      this.leave(closed);
      onClose();
    }, owner);
    this.streams.add(stream);
    this.keepAliveTimer ??= setInterval(() => this.keepStreamsAlive(), STREAM_KEEPALIVE_MS);
    void this.greet(stream, selectors, resume, paceMs).then(() => {
      stream.send(JSON.stringify(this.presenceMessage(this.mirror.devices())));
      this.queuePresence([]);
    });
    return stream.response;
  }

  /**
   * Long poll: answers at once when there is something after `after` (or the position is unusable), else waits up to
   * `waitMs` for the next flush. A waiting poll keeps its object awake.
   */
  async poll(selectors: string[], after: StreamPosition | null, waitMs: number): Promise<PollAnswer> {
    // Until it answers, a poll keeps this object fed like a socket being greeted: idle, it would be forgotten.
    this.greetingsInProgress++;
    let greeting: Greeting;
    try {
      if (after && this.caughtUp(after)) {
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
      greeting = await this.greeting(selectors, after, MAX_POLL_REPLAY_POINTS);
    } finally {
      this.greetingsInProgress--;
      this.lastPollAt = Date.now();
    }
    return {
      positions: greeting.positions,
      messages: greeting.messages,
      frames: greeting.frames.map(toBase64),
    };
  }

  /** Whether a position holds everything viewers were sent. */
  private caughtUp(position: StreamPosition): boolean {
    return this.mirror.positions().every((sent) => {
      const known = shardPosition(position, sent.sid);
      return known !== undefined && known.epoch === sent.epoch && known.seq === sent.seq;
    });
  }

  /** Applies a client's control message. */
  handle(socket: WebSocket, message: Exclude<ClientMessage, LiveQueryMessage>): void {
    if (message.type === "ack") {
      this.flow.ack(socket, message.frames);
      if (message.results !== undefined) this.answerFlow.ack(socket, message.results);
      return;
    }
    const group = this.subscriptions.of(socket);
    const current = group?.selectors ?? [];
    const paceMs = group?.paceMs ?? 0;
    if (message.type === "pace") {
      const pace = paceIntervalMs(message.maxFps);
      if (!group) {
        // Still being greeted: it joins at this pace (see `greet`).
        if (readAttachment(socket)) updateAttachment(socket, { paceMs: pace });
        return;
      }
      if (pace === paceMs) return;
      // It catches up on what its group held for it, then follows its new group.
      for (const frame of this.heldFrames(group)) this.deliver(socket, frame);
      updateAttachment(socket, { selectors: current, paceMs: pace });
      this.subscriptions.leave(socket);
      this.join(socket, current, pace);
      return;
    }
    const selectors =
      message.type === "subscribe" ? message.series : current.filter((s) => !message.series.includes(s));
    updateAttachment(socket, { selectors, paceMs });
    // What its paced group held for it comes first: the snapshot that follows is past those batches.
    if (group) for (const frame of this.heldFrames(group)) this.deliver(socket, frame);
    this.leave(socket);
    this.sendTo(socket, this.snapshot(this.join(socket, selectors, paceMs)));
  }

  /**
   * Adds a member to its group. A paced group first sends what it holds to its members: the newcomer was greeted
   * up to the board's position, which includes those batches.
   */
  private join(sink: LiveSink, selectors: string[], paceMs: number): SubscriptionGroup<LiveSink> {
    const existing = this.subscriptions.find(selectors, paceMs);
    if (existing) this.release(existing, Date.now());
    return this.subscriptions.join(sink, selectors, paceMs);
  }

  /** Forgets a closed or failed viewer. */
  leave(sink: LiveSink): void {
    this.subscriptions.leave(sink);
    if (!(sink instanceof SseSink)) {
      this.flow.forget(sink);
      this.answerFlow.forget(sink);
    }
    if (this.streams.size === 0 && this.keepAliveTimer !== undefined) {
      clearInterval(this.keepAliveTimer);
      this.keepAliveTimer = undefined;
    }
  }

  /** Queues what follows on from the queued positions (see `continuing`) for the next flush. */
  publish(part: Flush): void {
    this.mirror.addSeries(part.series);
    this.subscriptions.addSeries(part.series);
    this.pending.shards.push(...part.shards.filter((shard) => shard.batches.length > 0));
    this.pending.series.push(...part.series);
    this.mirror.updatePresence(part.presence);
    this.pending.presence.push(...part.presence);
    this.presencePending ||= part.presence.length > 0;
    this.pending.alerts.push(...part.alerts);
    this.options.queued();
  }

  /** Queues presence changes (and the current viewer count) for the next flush. */
  queuePresence(devices: DevicePresence[]): void {
    this.mirror.updatePresence(devices);
    this.pending.presence.push(...devices);
    this.presencePending = true;
    this.options.queued();
  }

  /**
   * Sends what is queued: presence, then new series, then per group and shard one frame, then alert transitions
   * (after the frame holding the point that caused them). Returns what it sent (a hub forwards it to its relays).
   */
  flush(): Flush {
    const sent = this.pending;
    this.pending = emptyFlush();
    this.sentMessages = 0;
    if (this.presencePending && this.subscriptions.size > 0) {
      const message = JSON.stringify(this.presenceMessage(sent.presence));
      for (const group of this.subscriptions.all()) this.broadcast(group, message);
    }
    this.presencePending = false;
    const shards = mergeShards(sent.shards);
    const parts = shards.flatMap((shard) => this.mirror.framed(shard));
    const now = Date.now();
    for (const group of this.subscriptions.all()) {
      const named = sent.series.filter((def) => group.wants(def));
      if (named.length > 0) this.broadcast(group, JSON.stringify({ type: "series", series: named }));
      if (group.paceMs > 0) {
        this.hold(group, parts, now);
        continue;
      }
      for (const { sid, epoch, batches } of parts) {
        const frame = buildFrame(sid, epoch, batches, group.filter);
        if (frame) this.broadcast(group, frame);
      }
    }
    for (const event of sent.alerts) {
      const message = JSON.stringify({ type: "alert", event } satisfies ServerMessage);
      for (const group of this.subscriptions.all()) this.broadcast(group, message);
    }
    for (const shard of shards) this.mirror.sentBatches(shard);
    if (shards.length > 0) for (const wake of [...this.pollers]) wake();
    this.armPaceTimer(now);
    return { ...sent, shards };
  }

  /**
   * Sends what every paced group holds now, whatever its pace: a history answer's positions must not fall inside a
   * frame sent after it.
   */
  releaseHeld(): void {
    const now = Date.now();
    for (const group of this.subscriptions.all()) this.release(group, now);
    this.armPaceTimer(now);
  }

  /** A paced group keeps a flush's parts, and sends all it holds once its pace allows. */
  private hold(group: SubscriptionGroup<LiveSink>, parts: ShardBatches[], now: number): void {
    let held = this.held.get(group);
    if (!held) {
      held = { parts: [], lastSentAt: Number.NEGATIVE_INFINITY };
      this.held.set(group, held);
    }
    held.parts.push(...parts);
    if (now - held.lastSentAt >= group.paceMs) this.release(group, now);
  }

  /** Sends what a paced group holds to its members, as one frame per shard (one encode for the group). */
  private release(group: SubscriptionGroup<LiveSink>, now: number): void {
    const held = this.held.get(group);
    if (!held || held.parts.length === 0) return;
    for (const frame of this.heldFrames(group)) this.broadcast(group, frame);
    held.parts = [];
    held.lastSentAt = now;
  }

  /** What a paced group holds, as frames: runs of the same shard merged, a possible repeat alone. */
  private heldFrames(group: SubscriptionGroup<LiveSink>): Uint8Array[] {
    const runs: ShardBatches[] = [];
    for (const part of this.held.get(group)?.parts ?? []) {
      const last = runs.at(-1);
      const joins =
        last && !last.repeat && !part.repeat && last.sid === part.sid && last.epoch === part.epoch;
      if (joins) last.batches.push(...part.batches);
      else runs.push({ ...part, batches: [...part.batches] });
    }
    return runs.flatMap(({ sid, epoch, batches }) => buildFrame(sid, epoch, batches, group.filter) ?? []);
  }

  /** Wakes the owner to flush when the first paced group holding frames is due; no timer while none holds any. */
  private armPaceTimer(now: number): void {
    if (this.paceTimer !== undefined) clearTimeout(this.paceTimer);
    this.paceTimer = undefined;
    let due = Number.POSITIVE_INFINITY;
    for (const group of this.subscriptions.all()) {
      const held = this.held.get(group);
      if (held && held.parts.length > 0) due = Math.min(due, held.lastSentAt + group.paceMs);
    }
    if (!Number.isFinite(due)) return;
    this.paceTimer = setTimeout(
      () => {
        this.paceTimer = undefined;
        this.options.queued();
      },
      Math.max(0, due - now),
    );
  }

  /** How many messages the last flush sent, for the tick's estimate of its time. */
  get lastFlushMessages(): number {
    return this.sentMessages;
  }

  /** Tells every viewer to start over (a shard's history was replaced): they reconnect and get a snapshot. */
  resetAll(reason: string): void {
    for (const group of this.subscriptions.all()) {
      for (const sink of [...group.members]) {
        this.sendTo(sink, { type: "reset", reason, positions: this.mirror.positions() });
        if (sink instanceof SseSink) sink.close();
        else this.close(sink, CLOSE_TRY_AGAIN_LATER, "resume from a snapshot");
      }
    }
  }

  presenceMessage(devices: DevicePresence[]): ServerMessage {
    return { type: "presence", devices, viewers: this.viewerCount };
  }

  /** Sends one control message to one viewer. */
  sendTo(sink: LiveSink, message: ServerMessage): void {
    this.deliver(sink, JSON.stringify(message));
  }

  /**
   * Sends a live query's answer to a socket (its shared part encoded once), held to the socket's budget of
   * unacknowledged answer bytes.
   */
  sendAnswer(socket: WebSocket, text: string, bytes: number): void {
    this.deliver(socket, text, { flow: this.answerFlow, bytes });
  }

  /** A relayed series' definition. */
  seriesDef(id: number): SeriesDef | undefined {
    return this.mirror.seriesState(id);
  }

  /**
   * Greets a viewer, then lets it join its group. A replay reads the shards' logs over RPC; while it does, flushes
   * go on, so it reads again up to where they got, and joins only when caught up (no await between the last check
   * and the join): the next flush's frames follow its replay exactly.
   */
  private async greet(
    sink: LiveSink,
    selectors: string[],
    resume: StreamPosition | null,
    paceMs: number,
  ): Promise<void> {
    this.greetingsInProgress++;
    let greeting: Greeting;
    try {
      greeting = await this.greeting(selectors, resume);
    } finally {
      this.greetingsInProgress--;
    }
    if (sink instanceof SseSink) sink.startAt(greeting.resumed ? (resume ?? []) : greeting.positions);
    this.sendTo(sink, {
      type: "hello",
      v: PROTOCOL_VERSION,
      board: this.options.board,
      positions: this.mirror.positions(),
      tickMs: this.options.tickMs,
      resumed: greeting.resumed,
    });
    for (const message of greeting.messages) this.sendTo(sink, message);
    for (const frame of greeting.frames) this.deliver(sink, frame);
    // A socket may have asked for another pace while it was greeted.
    const asked = sink instanceof SseSink ? null : readAttachment(sink);
    this.join(sink, selectors, asked?.paceMs ?? paceMs);
  }

  /** A resumed viewer gets the series catalog and the frames it missed; any other a snapshot (after `reset`). */
  private async greeting(
    selectors: string[],
    resume: StreamPosition | null,
    maxPoints = MAX_REPLAY_POINTS,
  ): Promise<Greeting> {
    const group = this.subscriptions.lookup(selectors);
    if (resume) {
      const frames: Uint8Array[] = [];
      let from = resume;
      for (;;) {
        const target = this.mirror.positions();
        const replayed = await this.replay(from, target, group, maxPoints);
        if (!replayed) break;
        frames.push(...replayed);
        from = target;
        if (this.samePositions(target, this.mirror.positions())) {
          const series: ServerMessage = { type: "series", series: this.subscriptions.matching(group) };
          return { resumed: true, positions: target, messages: [series], frames };
        }
      }
    }
    const messages: ServerMessage[] = [];
    if (resume) {
      const reason = "resume point is no longer available";
      messages.push({ type: "reset", reason, positions: this.mirror.positions() });
    }
    const snapshot = this.snapshot(group);
    messages.push(snapshot);
    return { resumed: false, positions: this.mirror.positions(), messages, frames: [] };
  }

  private samePositions(a: StreamPosition, b: StreamPosition): boolean {
    return a.length === b.length && a.every((p, i) => p.seq === b[i]!.seq && p.epoch === b[i]!.epoch);
  }

  /** Frames taking a viewer from `from` to `to` (every shard), or null when that cannot be replayed exactly. */
  private async replay(
    from: StreamPosition,
    to: StreamPosition,
    group: SubscriptionGroup<LiveSink>,
    maxPoints: number,
  ): Promise<Uint8Array[] | null> {
    for (const known of from) if (!shardPosition(to, known.sid)) return null;
    const parts = await Promise.all(
      to.map(async (target) => {
        const known = shardPosition(from, target.sid) ?? { sid: target.sid, epoch: target.epoch, seq: 0 };
        if (known.epoch !== target.epoch || known.seq > target.seq) return null;
        if (known.seq === target.seq) return [];
        const answer = await this.options.replay.read(
          target.sid,
          target.epoch,
          known.seq,
          target.seq,
          maxPoints,
        );
        return answer.gone ? null : replayFrames(target.sid, target.epoch, answer.batches, group.filter);
      }),
    );
    return parts.some((part) => part === null) ? null : (parts.flat() as Uint8Array[]);
  }

  private snapshot(group: SubscriptionGroup<LiveSink>): ServerMessage {
    const series = this.subscriptions.matching(group).map((def) => this.mirror.seriesState(def.id) ?? def);
    return { type: "snapshot", positions: this.mirror.positions(), series };
  }

  private keepStreamsAlive(): void {
    for (const stream of this.streams) stream.keepAlive();
  }

  /**
   * Writes a keep-alive to `owner`'s streams now: a proxy in front that kept a dead connection's stream open (as
   * `wrangler dev`'s does) finds out on a write, and the stream's slot comes free.
   */
  probeStreams(owner: string): void {
    for (const stream of this.streams) if (stream.owner === owner) stream.keepAlive();
  }

  /** Sends to every member of a group; the payload was encoded once for all of them. */
  private broadcast(group: SubscriptionGroup<LiveSink>, payload: string | Uint8Array): void {
    for (const sink of group.members) this.deliver(sink, payload);
  }

  /** Sends to one viewer; frames (and `counted` text) count against the socket's unacknowledged bytes. */
  private deliver(
    sink: LiveSink,
    payload: string | Uint8Array,
    counted?: { flow: FlowControl<WebSocket>; bytes: number },
  ): void {
    this.sentMessages++;
    if (sink instanceof SseSink) {
      sink.send(payload);
      return;
    }
    if (sink.readyState !== WebSocket.OPEN) return;
    const flow =
      counted ?? (typeof payload === "string" ? null : { flow: this.flow, bytes: payload.byteLength });
    if (flow && !flow.flow.sent(sink, flow.bytes)) {
      this.close(sink, CLOSE_TRY_AGAIN_LATER, "viewer too far behind; resume later");
      return;
    }
    try {
      sink.send(payload);
    } catch (error) {
      console.warn(`board ${this.options.board}: send failed, closing viewer`, error);
      this.close(sink, 1011, "send failed");
    }
  }

  /** Closes a viewer's socket and forgets it. */
  close(socket: WebSocket, code: number, reason: string): void {
    this.leave(socket);
    try {
      socket.close(code, reason);
    } catch {
      // Already closing.
    }
  }
}

/** Consecutive parts of the same shard become one run, so a flush sends one frame per group and shard. */
function mergeShards(parts: ShardBatches[]): ShardBatches[] {
  const bySid = new Map<number, ShardBatches>();
  for (const part of parts) {
    const merged = bySid.get(part.sid);
    if (merged && merged.epoch === part.epoch) merged.batches.push(...part.batches);
    else bySid.set(part.sid, { sid: part.sid, epoch: part.epoch, batches: [...part.batches] });
  }
  return [...bySid.values()];
}
