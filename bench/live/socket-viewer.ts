import type { Reception, Viewer } from "./reception.ts";

const OPEN_TIMEOUT_MS = 15_000;

/** What differs between the hubs: where to connect and how to read a message. */
export interface SocketProtocol {
  url: string;
  protocols: string[];
  /** Is this message the end of the greeting? Without it the viewer is ready when the socket opens. */
  greets?: (data: string | ArrayBuffer) => boolean;
  /** Reads a message already counted by the reception: frames and points. */
  read(reception: Reception, now: number, data: string | ArrayBuffer): void;
  /** The ack message to send after `frames` binary frames, as a dashboard does (flow control), if the server wants one. */
  ack?: (frames: number) => string;
}

/** A viewer acknowledges every this many frames. */
const ACK_EVERY_FRAMES = 16;

/** A viewer on Node's WebSocket with `binaryType = "arraybuffer"`. */
export class SocketViewer implements Viewer {
  readonly reception: Reception;
  private readonly protocol: SocketProtocol;
  private socket: WebSocket | undefined;

  constructor(protocol: SocketProtocol, reception: Reception) {
    this.protocol = protocol;
    this.reception = reception;
  }

  open(): Promise<void> {
    const socket = new WebSocket(this.protocol.url, this.protocol.protocols);
    socket.binaryType = "arraybuffer";
    this.socket = socket;
    let frames = 0;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error("no greeting in time")), OPEN_TIMEOUT_MS);
      const ready = () => {
        clearTimeout(timer);
        resolve();
      };
      socket.addEventListener("open", () => {
        if (!this.protocol.greets) ready();
      });
      socket.addEventListener("message", (event: MessageEvent<string | ArrayBuffer>) => {
        const now = Date.now();
        const { data } = event;
        const bytes = typeof data === "string" ? Buffer.byteLength(data) : data.byteLength;
        if (this.reception.message(now, bytes)) this.protocol.read(this.reception, now, data);
        else if (this.protocol.greets?.(data)) ready();
        if (typeof data !== "string" && this.protocol.ack && ++frames % ACK_EVERY_FRAMES === 0)
          socket.send(this.protocol.ack(frames));
      });
      socket.addEventListener("close", (event: CloseEvent) => {
        clearTimeout(timer);
        this.reception.tally.closedWith ??= event.code;
        reject(new Error(`closed ${event.code} ${event.reason}`));
      });
    });
  }

  start(): void {}

  close(): void {
    try {
      this.socket?.close(1000, "bench over");
    } catch {
      // Never opened.
    }
  }
}
