import {
  type AlertEvent,
  type DataFrame,
  type DevicePresence,
  decodeFrame,
  type FramePoints,
  PONG,
  type SeriesDef,
  type SeriesState,
  type ServerMessage,
  type ShardPosition,
  type StreamPosition,
} from "../../worker/protocol/index.ts";

/** What the live stream means for the view. */
export interface LiveListener {
  /** Series now known, with their last values when the server has them; may repeat known ones. */
  series(series: readonly SeriesState[]): void;
  /** A frame's points, only for announced series; `fromSeq..toSeq` place it in the stream. */
  frame(frame: DataFrame): void;
  /** Everything shown so far is void (history lost, or ids renumbered): drop it. */
  reset(): void;
  /** Devices came online or went offline (all of them when connected), and how many viewers watch. */
  presence?(devices: readonly DevicePresence[], viewers: number): void;
  /** An alert rule's alert for a series changed state. */
  alert?(event: AlertEvent): void;
  /** Something worth a console line: a server `error`, or input that breaks the protocol. */
  problem(text: string): void;
}

/**
 * The dashboard's side of the live protocol, without the socket: turns server messages into listener calls, keeps
 * the series dictionary and, per shard, the position to resume from. A frame wholly at or before its shard's
 * position is a repeat and is dropped; one that overlaps it cannot be applied exactly, and neither can one that skips
 * batches when the client watches every series (`everything`: then every batch reaches it): the client asks to
 * `resync`, ignores frames until the next `hello`, and the server replays from its position.
 */
export class LiveClient {
  private readonly listener: LiveListener;
  private readonly resync: (reason: string) => void;
  private readonly dictionary = new Map<number, SeriesDef>();
  private readonly positions = new Map<number, ShardPosition>();
  private readonly everything: boolean;
  private known = false;
  private resyncing = false;

  constructor(listener: LiveListener, resync: (reason: string) => void = () => {}, everything = true) {
    this.listener = listener;
    this.resync = resync;
    this.everything = everything;
  }

  /** Every shard's last applied position (null before the first snapshot); sent as `pos` when reconnecting. */
  get resumePosition(): StreamPosition | null {
    if (!this.known) return null;
    return [...this.positions.values()].sort((a, b) => a.sid - b.sid).map((position) => ({ ...position }));
  }

  seriesDef(id: number): SeriesDef | undefined {
    return this.dictionary.get(id);
  }

  /** Feeds one transport message: JSON text or a binary data frame. */
  receive(data: string | ArrayBuffer | Uint8Array): void {
    if (typeof data !== "string") {
      this.receiveFrame(data instanceof Uint8Array ? data : new Uint8Array(data));
      return;
    }
    if (data === PONG) return;
    let message: ServerMessage;
    try {
      message = JSON.parse(data) as ServerMessage;
    } catch {
      this.listener.problem(`ignored a text message that is not JSON: ${data.slice(0, 80)}`);
      return;
    }
    if (typeof message !== "object" || message === null || typeof message.type !== "string") {
      this.listener.problem("ignored a message without a type");
      return;
    }
    this.handle(message);
  }

  private handle(message: ServerMessage): void {
    switch (message.type) {
      case "snapshot":
        // A snapshot where a shard's epoch changed replaces everything; otherwise it only completes what is shown.
        if (message.positions.some((position) => this.replaced(position))) this.clear();
        this.learn(message.series);
        for (const position of message.positions) this.positions.set(position.sid, { ...position });
        this.known = true;
        return;
      case "series":
        this.learn(message.series);
        return;
      case "reset":
        this.clear();
        return;
      case "error":
        this.listener.problem(`server error ${message.code}: ${message.message}`);
        return;
      // `hello` carries the server's position, not ours: replayed frames up to it may still follow.
      case "hello":
        this.resyncing = false;
        return;
      case "presence":
        this.listener.presence?.(message.devices, message.viewers);
        return;
      case "alert":
        this.listener.alert?.(message.event);
        return;
      default:
        this.listener.problem(`ignored an unknown message type ${(message as { type: string }).type}`);
    }
  }

  private receiveFrame(bytes: Uint8Array): void {
    let frame: DataFrame;
    try {
      frame = decodeFrame(bytes);
    } catch (error) {
      this.listener.problem(`ignored a malformed frame: ${(error as Error).message}`);
      return;
    }
    if (this.resyncing) return;
    const at = this.positions.get(frame.sid);
    if (at && at.epoch === frame.epoch) {
      if (frame.toSeq <= at.seq) return;
      if (frame.fromSeq <= at.seq || (this.everything && frame.fromSeq > at.seq + 1)) {
        this.resyncing = true;
        this.resync(`shard ${frame.sid}: frame ${frame.fromSeq}..${frame.toSeq} does not follow ${at.seq}`);
        return;
      }
    } else if (at) this.clear();
    const known: FramePoints[] = [];
    for (const group of frame.groups) {
      if (this.dictionary.has(group.seriesId)) known.push(group);
      else this.listener.problem(`frame has points for unannounced series ${group.seriesId}`);
    }
    if (known.length > 0) this.listener.frame({ ...frame, groups: known });
    this.positions.set(frame.sid, { sid: frame.sid, epoch: frame.epoch, seq: frame.toSeq });
    this.known = true;
  }

  /** Whether a position names a shard we know under another epoch (its history was replaced). */
  private replaced(position: ShardPosition): boolean {
    const at = this.positions.get(position.sid);
    return at !== undefined && at.epoch !== position.epoch;
  }

  private learn(series: readonly SeriesState[]): void {
    for (const { last: _last, ...def } of series) this.dictionary.set(def.id, def);
    this.listener.series(series);
  }

  private clear(): void {
    this.dictionary.clear();
    this.positions.clear();
    this.known = false;
    this.listener.reset();
  }
}
