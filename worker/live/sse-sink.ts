import {
  advance,
  formatPosition,
  readFrameHeader,
  type StreamPosition,
  toBase64,
} from "../protocol/index.ts";

const encoder = new TextEncoder();
/** Each frame is base64-encoded once, however many streams share it. */
const base64Frames = new WeakMap<Uint8Array, string>();
/** A stream whose unread backlog passes this many bytes is cut; its client resumes from its last event id. */
export const MAX_STREAM_BACKLOG_BYTES = 4 * 1024 * 1024;

/**
 * A Server-Sent Events response viewers' messages are pushed to. Control messages go out as `data:` JSON; frames as
 * `event: frame` with base64 data and as id the stream's whole position after it (`formatPosition`), so
 * `Last-Event-ID` resumes exactly. An open stream keeps its object awake (no hibernation).
 */
export class SseSink {
  readonly response: Response;
  /** The credential that opened it (see `Viewers.probeStreams`). */
  readonly owner: string;
  private readonly writer: WritableStreamDefaultWriter<Uint8Array>;
  private readonly onClose: (sink: SseSink) => void;
  private position: StreamPosition = [];
  private closed = false;

  constructor(onClose: (sink: SseSink) => void, owner = "") {
    this.onClose = onClose;
    this.owner = owner;
    const { readable, writable } = new TransformStream<Uint8Array, Uint8Array>(undefined, {
      highWaterMark: MAX_STREAM_BACKLOG_BYTES,
      size: (chunk) => chunk.byteLength,
    });
    this.writer = writable.getWriter();
    // The client went away (its connection reset or closed): free its slot now, not at the next keep-alive write.
    this.writer.closed.catch(() => this.close());
    this.response = new Response(readable, {
      headers: {
        "content-type": "text/event-stream; charset=utf-8",
        "cache-control": "no-cache, no-transform",
        "x-accel-buffering": "no",
      },
    });
  }

  /** Where the client stands before the frames that follow (its resume position, or the snapshot's). */
  startAt(position: StreamPosition): void {
    this.position = position;
  }

  send(payload: string | Uint8Array): void {
    if (typeof payload === "string") {
      this.write(`data: ${payload}\n\n`);
      return;
    }
    let data = base64Frames.get(payload);
    if (data === undefined) {
      data = toBase64(payload);
      base64Frames.set(payload, data);
    }
    const { sid, epoch, toSeq } = readFrameHeader(payload);
    this.position = advance(this.position, sid, epoch, toSeq);
    this.write(`event: frame\nid: ${formatPosition(this.position)}\ndata: ${data}\n\n`);
  }

  /** A named event (`event:`), with an `id:` when given (what `Last-Event-ID` then resumes from). */
  sendEvent(event: string, data: string, id?: string): void {
    this.write(`event: ${event}\n${id === undefined ? "" : `id: ${id}\n`}data: ${data}\n\n`);
  }

  /** A comment line: keeps proxies from timing out an idle stream and reveals dead clients. */
  keepAlive(): void {
    this.write(": keepalive\n\n");
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.onClose(this);
    this.writer.close().catch(() => {});
  }

  private write(text: string): void {
    if (this.closed) return;
    if ((this.writer.desiredSize ?? 0) <= 0) {
      this.close();
      return;
    }
    this.writer.write(encoder.encode(text)).catch(() => this.close());
  }
}
