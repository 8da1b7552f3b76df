import { describe, expect, it } from "vitest";
import type { SocketHandlers } from "../../dashboard/src/reconnecting-socket.ts";
import {
  availableTransports,
  chainConnector,
  TransportChain,
  type TransportName,
} from "../../dashboard/src/transport-chain.ts";

describe("availableTransports", () => {
  it("offers WebSocket, SSE and polling in that order, leaving out what the browser lacks", () => {
    const present = { WebSocket: class {}, EventSource: class {} };
    expect(availableTransports(present)).toEqual(["websocket", "sse", "poll"]);
    expect(availableTransports({ EventSource: class {} })).toEqual(["sse", "poll"]);
    expect(availableTransports({ WebSocket: undefined })).toEqual(["poll"]);
  });
});

describe("TransportChain", () => {
  it("falls back after two attempts in a row close before the server said anything", () => {
    const chain = new TransportChain(["websocket", "sse", "poll"]);
    chain.ended(false);
    expect(chain.current).toBe("websocket");
    chain.ended(false);
    expect(chain.current).toBe("sse");
    chain.ended(false);
    chain.ended(false);
    expect(chain.current).toBe("poll");
  });

  it("starts counting again whenever the server answers", () => {
    const chain = new TransportChain(["websocket", "sse", "poll"]);
    chain.ended(false);
    chain.ended(true);
    chain.ended(false);
    expect(chain.current).toBe("websocket");
  });

  it("keeps a transport that has worked: its later failures are outages, not a blocking proxy", () => {
    const chain = new TransportChain(["websocket", "sse", "poll"]);
    chain.ended(true);
    for (let i = 0; i < 10; i++) chain.ended(false);
    expect(chain.current).toBe("websocket");
  });

  it("moves on at once from a transport that cannot be created, and never gives up the last", () => {
    const chain = new TransportChain(["websocket", "poll"]);
    chain.unusable();
    expect(chain.current).toBe("poll");
    chain.unusable();
    for (let i = 0; i < 10; i++) chain.ended(false);
    expect(chain.current).toBe("poll");
  });

  it("refuses to start without any transport", () => {
    expect(() => new TransportChain([])).toThrow("no live transport");
  });
});

describe("chainConnector", () => {
  function recorder() {
    const events: string[] = [];
    const handlers: SocketHandlers = {
      open: () => events.push("open"),
      message: (data) => events.push(`message ${String(data)}`),
      close: (code, reason) => events.push(`close ${code} ${reason}`),
    };
    return { events, handlers };
  }

  it("opens the current transport, names it, and tells the chain whether the server spoke", () => {
    const chain = new TransportChain(["websocket", "sse", "poll"]);
    const named: TransportName[] = [];
    const opened: Record<string, SocketHandlers[]> = { websocket: [], sse: [] };
    const fake = (name: string) => (handlers: SocketHandlers) => {
      opened[name]!.push(handlers);
      return { close: () => {} };
    };
    const connect = chainConnector(
      chain,
      { websocket: fake("websocket"), sse: fake("sse"), poll: fake("poll") },
      (name) => named.push(name),
    );
    const { events, handlers } = recorder();
    connect(handlers);
    opened.websocket![0]!.close(1006, "");
    connect(handlers);
    opened.websocket![1]!.close(1006, "");
    connect(handlers);
    opened.sse![0]!.message("hello");
    opened.sse![0]!.close(1006, "");
    connect(handlers);
    expect(named).toEqual(["websocket", "websocket", "sse", "sse"]);
    expect(events).toEqual(["close 1006 ", "close 1006 ", "message hello", "close 1006 "]);
  });

  it("treats a transport whose constructor throws as unusable and reports the close just after", async () => {
    const chain = new TransportChain(["websocket", "sse", "poll"]);
    const throwing = () => {
      throw new Error("blocked");
    };
    const connect = chainConnector(
      chain,
      { websocket: throwing, sse: () => ({ close: () => {} }), poll: throwing },
      () => {},
    );
    const { events, handlers } = recorder();
    connect(handlers);
    expect(events).toEqual([]);
    await Promise.resolve();
    expect(events).toEqual(["close 1006 websocket unavailable: blocked"]);
    expect(chain.current).toBe("sse");
  });
});
