import {
  type DataFrame,
  decodeFrame,
  type FramePoints,
  PONG,
  type SeriesDef,
  type SeriesState,
  type ServerMessage,
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
  /** Something worth a console line: a server `error`, or input that breaks the protocol. */
  problem(text: string): void;
}

/**
 * The dashboard's side of the live protocol, without the socket: turns server messages into listener calls,
 * keeps the series dictionary and the stream position to resume from, and drops frames it has already applied.
 */
export class LiveClient {
  private readonly listener: LiveListener;
  private readonly dictionary = new Map<number, SeriesDef>();
  private position: StreamPosition | null = null;

  constructor(listener: LiveListener) {
    this.listener = listener;
  }

  /** Last position applied; send it as `epoch`/`seq` when reconnecting. */
  get resumePosition(): StreamPosition | null {
    return this.position && { ...this.position };
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
        // A snapshot from another epoch replaces everything; from ours it only completes what is shown.
        if (this.position && this.position.epoch !== message.epoch) this.clear();
        this.learn(message.series);
        this.position = { epoch: message.epoch, seq: message.seq };
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
      case "presence":
      case "alert":
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
    if (this.position?.epoch === frame.epoch && frame.toSeq <= this.position.seq) return;
    if (this.position && this.position.epoch !== frame.epoch) this.clear();
    const known: FramePoints[] = [];
    for (const group of frame.groups) {
      if (this.dictionary.has(group.seriesId)) known.push(group);
      else this.listener.problem(`frame has points for unannounced series ${group.seriesId}`);
    }
    if (known.length > 0) this.listener.frame({ ...frame, groups: known });
    this.position = { epoch: frame.epoch, seq: frame.toSeq };
  }

  private learn(series: readonly SeriesState[]): void {
    for (const { last: _last, ...def } of series) this.dictionary.set(def.id, def);
    this.listener.series(series);
  }

  private clear(): void {
    this.dictionary.clear();
    this.position = null;
    this.listener.reset();
  }
}
