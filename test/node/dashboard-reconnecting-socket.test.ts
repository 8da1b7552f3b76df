import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import {
  type ConnectionStatus,
  ReconnectingSocket,
  type SocketHandlers,
  type TransportData,
} from "../../dashboard/src/reconnecting-socket.ts";

/** A socket the test drives by hand. */
class FakeSocket {
  readonly sent: string[] = [];
  closedWith: [number | undefined, string | undefined] | null = null;
  readonly url: string;
  readonly handlers: SocketHandlers;

  constructor(url: string, handlers: SocketHandlers) {
    this.url = url;
    this.handlers = handlers;
  }

  send(data: string): void {
    this.sent.push(data);
  }

  close(code?: number, reason?: string): void {
    this.closedWith = [code, reason];
  }
}

function harness(random = () => 0.5) {
  const sockets: FakeSocket[] = [];
  const statuses: ConnectionStatus[] = [];
  const messages: TransportData[] = [];
  let resume = 0;
  const socket = new ReconnectingSocket({
    connect: (handlers) => {
      const fake = new FakeSocket(`ws://x/live?seq=${resume}`, handlers);
      sockets.push(fake);
      return fake;
    },
    onMessage: (data) => messages.push(data),
    onStatus: (status) => statuses.push(status),
    random,
    keepaliveMs: 1000,
  });
  return {
    socket,
    sockets,
    statuses,
    messages,
    states: () => statuses.map((status) => status.state),
    setResume: (seq: number) => {
      resume = seq;
    },
  };
}

describe("ReconnectingSocket", () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it("reports CONNECTING then OPEN and delivers messages", () => {
    const h = harness();
    h.socket.start();
    h.sockets[0]!.handlers.open();
    h.sockets[0]!.handlers.message("hello");
    expect(h.states()).toEqual(["CONNECTING", "OPEN"]);
    expect(h.messages).toEqual(["hello"]);
  });

  it("reconnects after a backoff delay, connecting anew so the attempt carries the latest resume position", () => {
    const h = harness(() => 0.5);
    h.socket.start();
    h.sockets[0]!.handlers.open();
    h.setResume(42);
    h.sockets[0]!.handlers.close(1006, "");
    expect(h.statuses.at(-1)).toEqual({ state: "CLOSED", attempt: 1, retryInMs: 250 });
    vi.advanceTimersByTime(249);
    expect(h.sockets).toHaveLength(1);
    vi.advanceTimersByTime(1);
    expect(h.sockets).toHaveLength(2);
    expect(h.sockets[1]!.url).toBe("ws://x/live?seq=42");
  });

  it("backs off further after each failed attempt and starts over once the server answers", () => {
    const h = harness(() => 0.999);
    h.socket.start();
    const delays: number[] = [];
    for (let i = 0; i < 4; i++) {
      h.sockets.at(-1)!.handlers.close(1006, "");
      delays.push(h.statuses.at(-1)!.retryInMs!);
      vi.advanceTimersByTime(delays.at(-1)!);
    }
    expect(delays).toEqual([499, 999, 1998, 3996]);
    h.sockets.at(-1)!.handlers.open();
    h.sockets.at(-1)!.handlers.message("hello");
    h.sockets.at(-1)!.handlers.close(1006, "");
    expect(h.statuses.at(-1)!.retryInMs).toBe(499);
  });

  it("retries now on demand (back online, a click), starting the backoff over, and does nothing while connected", () => {
    const h = harness(() => 0.999);
    h.socket.start();
    h.sockets[0]!.handlers.close(1006, "");
    vi.advanceTimersByTime(499);
    h.sockets[1]!.handlers.close(1006, "");
    expect(h.statuses.at(-1)).toMatchObject({ attempt: 2, retryInMs: 999 });
    h.socket.retryNow();
    expect(h.sockets).toHaveLength(3);
    h.socket.retryNow();
    expect(h.sockets).toHaveLength(3);
    h.sockets[2]!.handlers.close(1006, "");
    expect(h.statuses.at(-1)).toMatchObject({ attempt: 1, retryInMs: 499 });
    vi.advanceTimersByTime(10_000);
    expect(h.sockets).toHaveLength(4);
  });

  it("restarts on retryNow after close() stopped it (a refused token the user fixed)", () => {
    const h = harness();
    h.socket.start();
    h.sockets[0]!.handlers.close(1006, "");
    h.socket.close();
    vi.advanceTimersByTime(10_000);
    expect(h.sockets).toHaveLength(1);
    h.socket.retryNow();
    expect(h.sockets).toHaveLength(2);
  });

  it("pings while open and gives up on a socket that sent nothing since the previous ping", () => {
    const h = harness();
    h.socket.start();
    const first = h.sockets[0]!;
    first.handlers.open();
    vi.advanceTimersByTime(1000);
    expect(first.sent).toEqual(["ping"]);
    first.handlers.message("pong");
    vi.advanceTimersByTime(1000);
    expect(first.sent).toEqual(["ping", "ping"]);
    expect(first.closedWith).toBeNull();
    vi.advanceTimersByTime(1000);
    expect(first.closedWith).toEqual([4000, "keepalive timeout"]);
    expect(h.states().at(-1)).toBe("CLOSED");
    // The abandoned socket's late close event changes nothing.
    first.handlers.close(4000, "keepalive timeout");
    vi.advanceTimersByTime(30_000);
    expect(h.sockets).toHaveLength(2);
  });

  it("keeps a slow-ticking connection that answers every ping, as in a throttled background tab", () => {
    const h = harness();
    h.socket.start();
    const first = h.sockets[0]!;
    first.handlers.open();
    for (let i = 0; i < 5; i++) {
      vi.advanceTimersByTime(1000);
      vi.setSystemTime(Date.now() + 60_000);
      first.handlers.message("pong");
    }
    expect(first.closedWith).toBeNull();
    expect(first.sent).toHaveLength(5);
  });

  it("stops for good on close(): CLOSING, then CLOSED, and no reconnect", () => {
    const h = harness();
    h.socket.start();
    h.sockets[0]!.handlers.open();
    h.socket.close();
    expect(h.sockets[0]!.closedWith).toEqual([1000, "dashboard closed"]);
    h.sockets[0]!.handlers.close(1000, "dashboard closed");
    vi.advanceTimersByTime(60_000);
    expect(h.states()).toEqual(["CONNECTING", "OPEN", "CLOSING", "CLOSED"]);
    expect(h.sockets).toHaveLength(1);
  });

  it("sends no keepalive pings over a connection that cannot send, and never gives it up for silence", () => {
    const closes: string[] = [];
    let handlers: SocketHandlers | undefined;
    const socket = new ReconnectingSocket({
      connect: (given) => {
        handlers = given;
        return { close: (_code, reason) => closes.push(reason ?? "") };
      },
      onMessage: () => {},
      onStatus: () => {},
      keepaliveMs: 1000,
    });
    socket.start();
    handlers!.open();
    vi.advanceTimersByTime(10_000);
    expect(closes).toEqual([]);
  });
});
