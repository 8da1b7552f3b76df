import { evictDurableObject, runInDurableObject } from "cloudflare:test";
import { env, exports } from "cloudflare:workers";
import { expect } from "vitest";
import { signToken, type TokenKind } from "../../worker/auth/tokens.ts";
import { hubName, relayName, shardName } from "../../worker/board/shards.ts";
import {
  type DataFrame,
  decodeFrame,
  fromBase64,
  type LiveResult,
  type ServerMessage,
  SUBPROTOCOL,
} from "../../worker/protocol/index.ts";
import type { ShardObject } from "../../worker/shard/shard-object.ts";

export const BASE = "http://edgepulse.test";

/** A board name no other test uses. */
export function freshBoard(): string {
  return `b-${crypto.randomUUID()}`;
}

/** A shard of `board` (its only one unless the test's layout has more). */
export function shardStub(board: string, sid = 0) {
  return env.SHARDS.get(env.SHARDS.idFromName(shardName(board, sid)));
}

export function hubStub(board: string) {
  return env.HUBS.get(env.HUBS.idFromName(hubName(board)));
}

export function relayStub(board: string, index: number) {
  return env.RELAYS.get(env.RELAYS.idFromName(relayName(board, index)));
}

/**
 * Evicts a board's hub (its sockets hibernate) and the shards named, as the runtime does to idle objects: a shard
 * gone quiet has checkpointed first (see ShardObject.compact).
 */
export async function evictBoard(board: string, sids: number[] = [0]): Promise<void> {
  await evictDurableObject(hubStub(board), { webSockets: "hibernate" });
  for (const sid of sids) {
    await runInDurableObject(shardStub(board, sid), (shard: ShardObject) => shard.checkpoint());
    await evictDurableObject(shardStub(board, sid));
  }
}

/** Signs a token; `name` is the device of a device token, the gateway's name of a gateway token. */
export async function token(kind: TokenKind, board: string, name?: string, exp?: number): Promise<string> {
  return signToken(env.EDGEPULSE_SECRET, {
    kind,
    board,
    ...(name ? { [kind === "gateway" ? "gateway" : "device"]: name } : {}),
    iat: Math.floor(Date.now() / 1000),
    ...(exp ? { exp } : {}),
  });
}

export function request(path: string, init?: RequestInit): Promise<Response> {
  return exports.default.fetch(new Request(`${BASE}${path}`, init));
}

/** POSTs a snappy-compressed remote write body as Prometheus sends it. */
export function postRemoteWrite(credential: string, body: BodyInit, headers: Record<string, string> = {}) {
  return request("/api/v1/write", {
    method: "POST",
    headers: {
      authorization: `Bearer ${credential}`,
      "content-type": "application/x-protobuf",
      "content-encoding": "snappy",
      "x-prometheus-remote-write-version": "0.1.0",
      ...headers,
    },
    body,
  });
}

/** The headers of a WebSocket opening handshake (RFC 6455), as browsers send them. */
export function handshake(): Record<string, string> {
  const key = btoa(String.fromCharCode(...crypto.getRandomValues(new Uint8Array(16))));
  return {
    upgrade: "websocket",
    connection: "Upgrade",
    "sec-websocket-version": "13",
    "sec-websocket-key": key,
  };
}

/** POSTs a JSON ingest body (an object is stringified, a string is sent as is). */
export function ingest(
  deviceToken: string,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<Response> {
  return request("/api/v1/ingest", {
    method: "POST",
    headers: { authorization: `Bearer ${deviceToken}`, "content-type": "application/json", ...headers },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
}

/** Asserts nothing: returns status and parsed body for `expect`. */
// biome-ignore lint/suspicious/noExplicitAny: tests read arbitrary JSON bodies.
export async function answer(response: Response | Promise<Response>): Promise<{ status: number; body: any }> {
  const resolved = await response;
  const text = await resolved.text();
  return { status: resolved.status, body: text ? JSON.parse(text) : null };
}

export type Received = { kind: "message"; message: ServerMessage } | { kind: "frame"; frame: DataFrame };

/** A viewer's socket with a queue of what it received and a way to wait for the next item. */
export class Viewer {
  readonly socket: WebSocket;
  readonly received: Received[] = [];
  /** Presence messages are kept apart so tests of the data stream need not step over them. */
  readonly presence: Array<Extract<ServerMessage, { type: "presence" }>> = [];
  private waiters: Array<() => void> = [];
  private cursor = 0;
  closed: { code: number; reason: string } | null = null;

  constructor(socket: WebSocket) {
    this.socket = socket;
    // Recent compatibility dates follow the standard and default to Blob.
    socket.binaryType = "arraybuffer";
    socket.accept();
    socket.addEventListener("message", (event) => {
      if (typeof event.data !== "string") {
        this.received.push({ kind: "frame", frame: decodeFrame(new Uint8Array(event.data as ArrayBuffer)) });
      } else {
        const message = JSON.parse(event.data) as ServerMessage;
        if (message.type === "presence") this.presence.push(message);
        else this.received.push({ kind: "message", message });
      }
      this.wake();
    });
    socket.addEventListener("close", (event) => {
      this.closed = { code: event.code, reason: event.reason };
      this.wake();
    });
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const waiter of waiters) waiter();
  }

  /** The next item not yet taken; rejects after `timeoutMs`. */
  async next(timeoutMs = 2000): Promise<Received> {
    const deadline = Date.now() + timeoutMs;
    while (this.cursor >= this.received.length) {
      if (this.closed) throw new Error(`socket closed ${this.closed.code} ${this.closed.reason}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error("timed out waiting for a message");
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    return this.received[this.cursor++]!;
  }

  async nextMessage<T extends ServerMessage["type"]>(type: T): Promise<Extract<ServerMessage, { type: T }>> {
    const item = await this.next();
    if (item.kind !== "message" || item.message.type !== type) {
      throw new Error(
        `expected ${type}, got ${JSON.stringify(item.kind === "message" ? item.message : "a frame")}`,
      );
    }
    return item.message as Extract<ServerMessage, { type: T }>;
  }

  async nextFrame(): Promise<DataFrame> {
    const item = await this.next();
    if (item.kind !== "frame") throw new Error(`expected a frame, got ${JSON.stringify(item.message)}`);
    return item.frame;
  }

  /** Asserts nothing more arrives within `ms`. */
  async quiet(ms = 100): Promise<boolean> {
    await new Promise((resolve) => setTimeout(resolve, ms));
    return this.cursor >= this.received.length;
  }

  close(): void {
    try {
      this.socket.close(1000, "done");
    } catch {
      // Already closed.
    }
  }
}

/** Opens a live socket for `board`; `query` adds subscription or resume parameters. */
export async function connect(board: string, viewerToken: string, query = ""): Promise<Viewer> {
  const response = await request(`/api/v1/boards/${board}/live${query}`, {
    headers: { ...handshake(), "sec-websocket-protocol": `${SUBPROTOCOL}, bearer.${viewerToken}` },
  });
  if (response.status !== 101 || !response.webSocket) {
    throw new Error(`upgrade failed: ${response.status} ${await response.text()}`);
  }
  return new Viewer(response.webSocket);
}

/** Runs `body` with a viewer of `board` that has been greeted (hello and snapshot taken), closing it after. */
export async function watching<T>(board: string, body: (viewer: Viewer) => Promise<T>): Promise<T> {
  const viewer = await connect(board, await token("viewer", board));
  try {
    await viewer.nextMessage("hello");
    await viewer.nextMessage("snapshot");
    return await body(viewer);
  } finally {
    viewer.close();
  }
}

/** Flattens a frame into [seriesId, ts, value] triples. */
export function framePoints(frame: DataFrame): Array<[number, number, number]> {
  return frame.groups.flatMap((group) =>
    group.ts.map((ts, i) => [group.seriesId, ts, group.values[i]!] as [number, number, number]),
  );
}

export interface SseEvent {
  event: string;
  id: string | undefined;
  data: string;
}

/** Reads an SSE response event by event. */
export class EventReader {
  private readonly reader: ReadableStreamDefaultReader<Uint8Array>;
  private readonly decoder = new TextDecoder();
  private buffer = "";

  constructor(response: Response) {
    this.reader = response.body!.getReader();
  }

  async next(): Promise<SseEvent> {
    for (;;) {
      const end = this.buffer.indexOf("\n\n");
      if (end >= 0) {
        const block = this.buffer.slice(0, end);
        this.buffer = this.buffer.slice(end + 2);
        if (block.startsWith(":")) continue;
        const fields = new Map(
          block
            .split("\n")
            .map((line) => [line.slice(0, line.indexOf(":")), line.slice(line.indexOf(":") + 2)]),
        );
        return {
          event: fields.get("event") ?? "message",
          id: fields.get("id"),
          data: fields.get("data") ?? "",
        };
      }
      const { value, done } = await this.reader.read();
      if (done) throw new Error("stream ended");
      this.buffer += this.decoder.decode(value, { stream: true });
    }
  }

  async message(): Promise<ServerMessage> {
    let event = await this.next();
    while (event.event === "message" && (JSON.parse(event.data) as ServerMessage).type === "presence") {
      event = await this.next();
    }
    expect(event.event).toBe("message");
    return JSON.parse(event.data) as ServerMessage;
  }

  async frame(): Promise<{ id: string | undefined; frame: DataFrame }> {
    const event = await this.next();
    expect(event.event).toBe("frame");
    return { id: event.id, frame: decodeFrame(fromBase64(event.data)) };
  }

  async close(): Promise<void> {
    await this.reader.cancel();
  }
}

/** The next live query answer a socket received (`result` or `query_error`; frames and other messages skipped). */
export async function nextResult(viewer: Viewer, timeoutMs = 3000) {
  for (;;) {
    const item = await viewer.next(timeoutMs);
    if (item.kind === "message" && (item.message.type === "result" || item.message.type === "query_error"))
      return item.message;
  }
}

/**
 * A socket's `result` messages taken one by one, each checked to start right after the last step its subscription
 * had (no gap, no repeat); `stepSeconds` gives each subscription's step.
 */
export class ContiguousResults {
  readonly last = new Map<string, number>();
  private readonly viewer: Viewer;
  private readonly stepSeconds: (id: string) => number;

  constructor(viewer: Viewer, stepSeconds: (id: string) => number) {
    this.viewer = viewer;
    this.stepSeconds = stepSeconds;
  }

  async next(): Promise<LiveResult> {
    const event = await nextResult(this.viewer);
    if (event.type !== "result") throw new Error(`expected a result, got ${JSON.stringify(event)}`);
    const held = this.last.get(event.id);
    if (held !== undefined && event.kind !== "correction")
      expect(event.start, `${event.id}: no gap, no repeat`).toBe(held + this.stepSeconds(event.id));
    if (event.kind !== "correction") this.last.set(event.id, event.end);
    return event;
  }
}

/**
 * Stops a hub's or relay's live PromQL step clocks, so that it can be evicted: workerd evicts an object only once
 * none of its timers is pending. Its sockets' attachments are then all its subscriptions resume from.
 */
export async function stopLiveQueryClocks(stub: DurableObjectStub): Promise<void> {
  await runInDurableObject(stub, (object: unknown) => {
    const { clocks } = (object as { queries: { clocks: Map<number, { timer: number }> } }).queries;
    for (const clock of clocks.values()) clearTimeout(clock.timer);
    // A tick under way re-arms only a clock still in the map.
    clocks.clear();
  });
}
