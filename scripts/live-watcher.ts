import {
  decodeFrame,
  formatPosition,
  fromBase64,
  type PollAnswer,
  type SeriesDef,
  type ServerMessage,
  seriesName,
} from "../worker/protocol/index.ts";

export type Transport = "websocket" | "sse" | "poll";

/** What went wrong in one viewer's stream, counted per frame and per message. */
export interface StreamFaults {
  /** A frame starting past the viewer's seq + 1 (batches skipped). */
  gaps: number;
  /** A frame wholly at or before the viewer's seq. */
  repeats: number;
  /** A frame starting at or before the viewer's seq and ending after it (old and new points mixed). */
  overlaps: number;
  resets: number;
  /** A frame naming a series id the viewer was never told about. */
  unnamed: number;
}

/** A (re)connect: when it was tried, when the viewer was greeted (or its poll answered), and whether it resumed. */
export interface Greeting {
  began: number;
  at: number;
  resumed: boolean;
}

const RETRY_MS = 100;
const ACK_EVERY_MS = 200;

/**
 * A viewer of a board's live stream that reconnects whenever its connection ends and resumes from what it applied,
 * as the dashboard does. It checks every frame against its per-shard `sid.epoch.seq` (a viewer of every series must
 * get every batch once, in order) and keeps every series' values in arrival order, for an exactly-once check.
 */
export class LiveWatcher {
  readonly transport: Transport;
  readonly faults: StreamFaults = { gaps: 0, repeats: 0, overlaps: 0, resets: 0, unnamed: 0 };
  readonly values = new Map<string, number[]>();
  readonly greetings: Greeting[] = [];
  readonly closeCodes: number[] = [];
  frames = 0;
  private readonly positions = new Map<number, { epoch: number; seq: number }>();
  private readonly names = new Map<number, string>();
  private readonly base: string;
  private readonly token: string;
  private stopped = false;
  /** The server's SSE id, sent back as `Last-Event-ID` as `EventSource` does. */
  private lastEventId: string | null = null;
  private hangUp: (() => void) | null = null;
  private running: Promise<void> | null = null;

  constructor(transport: Transport, url: string, board: string, token: string) {
    this.transport = transport;
    this.base = `${url}/api/v1/boards/${board}`;
    this.token = token;
  }

  /** Starts watching; resolves once first greeted. */
  async start(): Promise<void> {
    this.running = this.loop();
    while (this.greetings.length === 0) await pause(20);
  }

  /** Ends the current connection; the watcher reconnects at once and resumes (a normal reconnect). */
  reconnect(): void {
    this.hangUp?.();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.hangUp?.();
    await this.running;
  }

  /** Points of a series applied so far. */
  count(series: string): number {
    return this.values.get(series)?.length ?? 0;
  }

  private get position(): string | null {
    if (this.positions.size === 0) return null;
    const list = [...this.positions].map(([sid, { epoch, seq }]) => ({ sid, epoch, seq }));
    return formatPosition(list.sort((a, b) => a.sid - b.sid));
  }

  private async loop(): Promise<void> {
    while (!this.stopped) {
      try {
        if (this.transport === "websocket") await this.watchSocket();
        else if (this.transport === "sse") await this.watchEvents();
        else await this.pollOnce();
      } catch {
        // The server is down or restarting: try again shortly.
        if (!this.stopped) await pause(RETRY_MS);
      }
    }
  }

  private url(transport: string, extra = ""): string {
    const pos = this.position;
    return `${this.base}/${transport}?series=*${pos ? `&pos=${pos}` : ""}${extra}`;
  }

  private watchSocket(): Promise<void> {
    const began = Date.now();
    const socket = new WebSocket(this.url("live"), ["edgepulse.v2", `bearer.${this.token}`]);
    socket.binaryType = "arraybuffer";
    let framesHere = 0;
    const acks = setInterval(() => {
      if (socket.readyState === WebSocket.OPEN && framesHere > 0)
        socket.send(JSON.stringify({ type: "ack", frames: framesHere }));
    }, ACK_EVERY_MS);
    return new Promise<void>((resolve, reject) => {
      // A reconnect does not wait for the server's side of the close handshake.
      this.hangUp = () => {
        socket.close(1000, "reconnect");
        resolve();
      };
      socket.addEventListener("message", (event: MessageEvent) => {
        if (typeof event.data === "string") {
          const message = JSON.parse(event.data) as ServerMessage;
          if (message.type === "hello")
            this.greetings.push({ began, at: Date.now(), resumed: message.resumed });
          this.message(message);
        } else {
          framesHere++;
          this.frame(new Uint8Array(event.data));
        }
      });
      socket.addEventListener("error", () => reject(new Error("socket failed")));
      socket.addEventListener("close", (event: CloseEvent) => {
        clearInterval(acks);
        this.closeCodes.push(event.code);
        resolve();
      });
    }).finally(() => clearInterval(acks));
  }

  private async watchEvents(): Promise<void> {
    const began = Date.now();
    const abort = new AbortController();
    this.hangUp = () => abort.abort();
    const headers: Record<string, string> = { authorization: `Bearer ${this.token}` };
    if (this.lastEventId) headers["last-event-id"] = this.lastEventId;
    const response = await fetch(`${this.base}/events?series=*`, { headers, signal: abort.signal });
    if (response.status !== 200 || !response.body) throw new Error(`events answered ${response.status}`);
    const decoder = new TextDecoder();
    let buffered = "";
    let event = { type: "", id: "", data: "" };
    try {
      for await (const chunk of response.body) {
        buffered += decoder.decode(chunk as Uint8Array, { stream: true });
        let newline = buffered.indexOf("\n");
        for (; newline !== -1; newline = buffered.indexOf("\n")) {
          const line = buffered.slice(0, newline);
          buffered = buffered.slice(newline + 1);
          if (line === "") {
            if (event.type === "frame") {
              this.lastEventId = event.id;
              this.frame(fromBase64(event.data));
            } else if (event.data !== "") {
              const message = JSON.parse(event.data) as ServerMessage;
              if (message.type === "hello")
                this.greetings.push({ began, at: Date.now(), resumed: message.resumed });
              this.message(message);
            }
            event = { type: "", id: "", data: "" };
          } else if (line.startsWith("event: ")) event.type = line.slice(7);
          else if (line.startsWith("id: ")) event.id = line.slice(4);
          else if (line.startsWith("data: ")) event.data += line.slice(6);
        }
      }
    } catch (error) {
      if (!abort.signal.aborted) throw error;
    }
    this.closeCodes.push(0);
  }

  private async pollOnce(): Promise<void> {
    const began = Date.now();
    const abort = new AbortController();
    this.hangUp = () => abort.abort();
    const headers = { authorization: `Bearer ${this.token}` };
    let response: Response;
    try {
      response = await fetch(this.url("poll", "&wait=2000"), { headers, signal: abort.signal });
    } catch (error) {
      if (abort.signal.aborted) return;
      throw error;
    }
    if (response.status !== 200) throw new Error(`poll answered ${response.status}`);
    const answer = (await response.json()) as PollAnswer;
    const resumed = !answer.messages.some((m) => m.type === "snapshot");
    this.greetings.push({ began, at: Date.now(), resumed });
    for (const message of answer.messages) this.message(message);
    for (const frame of answer.frames) this.frame(fromBase64(frame));
  }

  private learn(series: SeriesDef[]): void {
    for (const def of series) this.names.set(def.id, seriesName(def));
  }

  private message(message: ServerMessage): void {
    if (message.type === "reset") this.faults.resets++;
    if (message.type === "snapshot" || message.type === "series") this.learn(message.series);
    if (message.type === "snapshot" || message.type === "hello") {
      for (const { sid, epoch, seq } of message.positions)
        if (!this.positions.has(sid) || message.type === "snapshot") this.positions.set(sid, { epoch, seq });
    }
  }

  private frame(bytes: Uint8Array): void {
    this.frames++;
    const frame = decodeFrame(bytes);
    const at = this.positions.get(frame.sid);
    if (at && at.epoch === frame.epoch) {
      if (frame.toSeq <= at.seq) {
        this.faults.repeats++;
        return;
      }
      if (frame.fromSeq <= at.seq) this.faults.overlaps++;
      else if (frame.fromSeq > at.seq + 1) this.faults.gaps++;
    }
    this.positions.set(frame.sid, { epoch: frame.epoch, seq: frame.toSeq });
    for (const group of frame.groups) {
      const name = this.names.get(group.seriesId);
      if (name === undefined) {
        this.faults.unnamed++;
        continue;
      }
      const list = this.values.get(name) ?? [];
      list.push(...group.values);
      this.values.set(name, list);
    }
  }
}

export function pause(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
