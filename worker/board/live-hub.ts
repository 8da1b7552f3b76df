import {
  ALL_SERIES,
  type ClientMessage,
  type DevicePresence,
  PROTOCOL_VERSION,
  type SeriesDef,
  type ServerMessage,
  type StreamPosition,
  selectorMatches,
} from "../protocol/index.ts";
import type { StoredBatch } from "./batch-codec.ts";
import type { BatchLog } from "./batch-log.ts";
import { buildFrame, type SequencedBatch, type SeriesFilter } from "./frame-builder.ts";
import type { SeriesCatalog } from "./series-catalog.ts";

/** What a viewer socket carries across hibernation. */
export interface ViewerAttachment {
  selectors: string[];
}

/** A replay longer than this answers `reset`: the client reloads history instead. */
export const MAX_REPLAY_POINTS = 200_000;
/** Replayed frames are cut at about this many points. */
const REPLAY_FRAME_POINTS = 20_000;
export const VIEWER_TAG = "viewer";

/** Viewers with the same selectors share one encoded frame per tick. */
interface SubscriptionGroup {
  selectors: string[];
  sockets: Set<WebSocket>;
  filter: SeriesFilter;
}

export interface LiveHubOptions {
  board: string;
  epoch: number;
  /** Coalescing window; 0 sends each batch at once. */
  tickMs: number;
}

function groupKey(selectors: string[]): string {
  return JSON.stringify([...new Set(selectors)].sort());
}

/**
 * Fans accepted batches out to viewer sockets: coalesces a tick's batches into one binary frame per subscription
 * group, names series before frames use them, and replays missed batches from the log on resume.
 * Holds no timer once a tick is flushed, so an idle board can hibernate.
 */
export class LiveHub {
  private readonly ctx: DurableObjectState;
  private readonly catalog: SeriesCatalog;
  private readonly log: BatchLog;
  private readonly options: LiveHubOptions;
  private readonly groups = new Map<string, SubscriptionGroup>();
  private readonly groupOf = new Map<WebSocket, SubscriptionGroup>();
  private pending: SequencedBatch[] = [];
  private pendingSeries: SeriesDef[] = [];
  /** Presence changes since the last flush, by device; a viewer count change alone flushes an empty list. */
  private pendingPresence: Map<string, DevicePresence> | null = null;
  private flushTimer: ReturnType<typeof setTimeout> | undefined;
  /** Every batch up to this seq has been sent to the sockets that want it. */
  private flushedSeq: number;

  constructor(ctx: DurableObjectState, catalog: SeriesCatalog, log: BatchLog, options: LiveHubOptions) {
    this.ctx = ctx;
    this.catalog = catalog;
    this.log = log;
    this.options = options;
    this.flushedSeq = log.lastSeq;
    for (const socket of ctx.getWebSockets(VIEWER_TAG)) {
      const attachment = socket.deserializeAttachment() as ViewerAttachment | null;
      if (attachment) this.join(socket, attachment.selectors);
    }
  }

  get position(): StreamPosition {
    return { epoch: this.options.epoch, seq: this.flushedSeq };
  }

  get viewerCount(): number {
    return this.groupOf.size;
  }

  /** Accepts a viewer socket, greets it, and either replays from `resume` or sends a fresh snapshot. */
  connect(socket: WebSocket, selectors: string[], resume: StreamPosition | null): void {
    this.ctx.acceptWebSocket(socket, [VIEWER_TAG]);
    socket.serializeAttachment({ selectors } satisfies ViewerAttachment);
    const group = this.join(socket, selectors);
    const replay = resume ? this.replayFrom(resume, group.filter) : null;
    this.sendTo(socket, {
      type: "hello",
      v: PROTOCOL_VERSION,
      board: this.options.board,
      tickMs: this.options.tickMs,
      resumed: replay !== null,
      ...this.position,
    });
    if (replay) {
      this.sendTo(socket, { type: "series", series: this.matching(group) });
      for (const frame of replay) this.sendFrame(socket, frame);
      return;
    }
    if (resume)
      this.sendTo(socket, { type: "reset", reason: "resume point is no longer available", ...this.position });
    this.sendSnapshot(socket, group);
  }

  /** Applies a client's control message. */
  handle(socket: WebSocket, message: ClientMessage): void {
    const current = this.groupOf.get(socket)?.selectors ?? [];
    const selectors =
      message.type === "subscribe" ? message.series : current.filter((s) => !message.series.includes(s));
    socket.serializeAttachment({ selectors } satisfies ViewerAttachment);
    this.leave(socket);
    this.sendSnapshot(socket, this.join(socket, selectors));
  }

  /** Forgets a closed or failed socket. */
  leave(socket: WebSocket): void {
    const group = this.groupOf.get(socket);
    if (!group) return;
    this.groupOf.delete(socket);
    group.sockets.delete(socket);
    if (group.sockets.size === 0) this.groups.delete(groupKey(group.selectors));
  }

  /** Queues an accepted batch for the next tick; `created` are the series it introduced. */
  publish(seq: number, batch: StoredBatch, created: SeriesDef[]): void {
    if (created.length > 0) {
      this.pendingSeries.push(...created);
      for (const group of this.groups.values()) this.extendFilter(group, created);
    }
    if (this.groupOf.size === 0) {
      this.flushedSeq = seq;
      this.pendingSeries = [];
      return;
    }
    this.pending.push({ seq, batch });
    this.scheduleFlush();
  }

  /** Queues presence changes (and the current viewer count) for the next tick. */
  queuePresence(devices: DevicePresence[]): void {
    if (this.groupOf.size === 0) return;
    this.pendingPresence ??= new Map();
    for (const device of devices) this.pendingPresence.set(device.device, device);
    this.scheduleFlush();
  }

  private scheduleFlush(): void {
    if (this.options.tickMs === 0) this.flush();
    else this.flushTimer ??= setTimeout(() => this.flush(), this.options.tickMs);
  }

  /** Sends what is pending: presence, then new series, then one frame per subscription group. */
  flush(): void {
    if (this.flushTimer !== undefined) clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
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
      for (const group of this.groups.values()) this.broadcast(group, message);
    }
    if (batches.length === 0) return;
    this.flushedSeq = batches[batches.length - 1]!.seq;
    for (const group of this.groups.values()) {
      const named = created.filter((def) => this.wants(group, def));
      if (named.length > 0) this.broadcast(group, JSON.stringify({ type: "series", series: named }));
      const frame = buildFrame(this.options.epoch, batches, group.filter);
      if (frame) this.broadcast(group, frame);
    }
  }

  private join(socket: WebSocket, selectors: string[]): SubscriptionGroup {
    const key = groupKey(selectors);
    let group = this.groups.get(key);
    if (!group) {
      group = { selectors: JSON.parse(key) as string[], sockets: new Set(), filter: null };
      group.filter = group.selectors.includes(ALL_SERIES) ? null : new Set();
      this.extendFilter(group, this.catalog.all());
      this.groups.set(key, group);
    }
    group.sockets.add(socket);
    this.groupOf.set(socket, group);
    return group;
  }

  private wants(group: SubscriptionGroup, def: SeriesDef): boolean {
    return group.selectors.some((selector) => selectorMatches(selector, def.device, def.metric));
  }

  private extendFilter(group: SubscriptionGroup, defs: SeriesDef[]): void {
    if (group.filter === null) return;
    const filter = group.filter as Set<number>;
    for (const def of defs) if (this.wants(group, def)) filter.add(def.id);
  }

  private matching(group: SubscriptionGroup): SeriesDef[] {
    return this.catalog.all().filter((def) => this.wants(group, def));
  }

  /** Frames covering what a client missed since `resume`, or null when that cannot be replayed exactly. */
  private replayFrom(resume: StreamPosition, filter: SeriesFilter): Uint8Array[] | null {
    if (resume.epoch !== this.options.epoch || resume.seq > this.flushedSeq) return null;
    if (resume.seq === this.flushedSeq) return [];
    const first = this.log.firstSeq();
    if (first === null || first > resume.seq + 1) return null;
    if (this.log.pointsAfter(resume.seq) > MAX_REPLAY_POINTS) return null;
    const frames: Uint8Array[] = [];
    let chunk: SequencedBatch[] = [];
    let chunkPoints = 0;
    const emit = () => {
      const frame = buildFrame(this.options.epoch, chunk, filter);
      if (frame) frames.push(frame);
      chunk = [];
      chunkPoints = 0;
    };
    for (const entry of this.log.read(resume.seq, this.flushedSeq)) {
      chunk.push(entry);
      chunkPoints += entry.batch.ts.length;
      if (chunkPoints >= REPLAY_FRAME_POINTS) emit();
    }
    emit();
    return frames;
  }

  private sendSnapshot(socket: WebSocket, group: SubscriptionGroup): void {
    const series = this.matching(group).map((def) => this.catalog.state(def));
    this.sendTo(socket, { type: "snapshot", series, ...this.position });
  }

  /** Sends one control message to one socket. */
  sendTo(socket: WebSocket, message: ServerMessage): void {
    this.sendFrame(socket, JSON.stringify(message));
  }

  /** Sends to every open socket of a group; the payload was encoded once for all of them. */
  private broadcast(group: SubscriptionGroup, payload: string | Uint8Array): void {
    for (const socket of group.sockets) this.sendFrame(socket, payload);
  }

  private sendFrame(socket: WebSocket, payload: string | Uint8Array): void {
    if (socket.readyState !== WebSocket.OPEN) return;
    try {
      socket.send(payload);
    } catch (error) {
      console.warn(`board ${this.options.board}: send failed, closing viewer`, error);
      this.leave(socket);
      try {
        socket.close(1011, "send failed");
      } catch {
        // Already closing.
      }
    }
  }
}
