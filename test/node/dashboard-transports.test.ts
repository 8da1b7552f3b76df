import { afterEach, describe, expect, it, vi } from "vitest";
import { eventStreamUrl, pollUrl } from "../../dashboard/src/live-url.ts";
import { pollConnector, pollData } from "../../dashboard/src/poll-transport.ts";
import type { SocketHandlers, TransportData } from "../../dashboard/src/reconnecting-socket.ts";
import { sseConnector, sseData } from "../../dashboard/src/sse-transport.ts";
import type { StreamTarget } from "../../dashboard/src/transport-attempt.ts";
import { encodeFrame, type PollAnswer, toBase64 } from "../../worker/protocol/index.ts";

const frameBytes = encodeFrame({
  sid: 0,
  epoch: 7,
  fromSeq: 4,
  toSeq: 5,
  groups: [{ seriesId: 0, ts: [1], values: [2] }],
});
const target: StreamTarget = {
  page: "http://127.0.0.1:8787/#board=demo",
  board: "demo",
  token: "ep1.viewer",
  selectors: ["*"],
  resume: () => [{ sid: 0, epoch: 7, seq: 3 }],
};

function recorder() {
  const events: Array<["open"] | ["message", TransportData] | ["close", number, string]> = [];
  let resolveClosed: () => void;
  const closed = new Promise<void>((resolve) => {
    resolveClosed = resolve;
  });
  const handlers: SocketHandlers = {
    open: () => events.push(["open"]),
    message: (data) => events.push(["message", data]),
    close: (code, reason) => {
      events.push(["close", code, reason]);
      resolveClosed();
    },
  };
  return { events, handlers, closed };
}

afterEach(() => {
  vi.unstubAllGlobals();
});

describe("SSE adaptation", () => {
  it("passes message events on as JSON text and decodes frame events from base64", () => {
    expect(sseData("message", '{"type":"hello"}')).toBe('{"type":"hello"}');
    expect(sseData("frame", toBase64(frameBytes))).toEqual(frameBytes);
  });

  it("builds the stream URL with the ticket, the subscription and the position to resume from", () => {
    expect(eventStreamUrl(target.page, "demo", "tk", [{ sid: 0, epoch: 7, seq: 3 }])).toBe(
      "http://127.0.0.1:8787/api/v1/boards/demo/events?ticket=tk&series=*&pos=0.7.3",
    );
  });

  it("ends the attempt when no ticket can be minted, with the API's answer as the reason", async () => {
    const fetchMock = vi.fn(async () => Response.json({ error: { code: "bad_signature" } }, { status: 401 }));
    vi.stubGlobal("fetch", fetchMock);
    const { events, handlers, closed } = recorder();
    sseConnector(target)(handlers);
    await closed;
    expect(fetchMock).toHaveBeenCalledWith("http://127.0.0.1:8787/api/v1/boards/demo/tickets", {
      method: "POST",
      signal: expect.any(AbortSignal),
      headers: { authorization: "Bearer ep1.viewer" },
    });
    expect(events).toEqual([["close", 1006, "POST /api/v1/boards/demo/tickets answered 401 bad_signature"]]);
  });
});

describe("long-poll adaptation", () => {
  it("turns an answer into its control messages as JSON text, then its decoded frames", () => {
    const answer: PollAnswer = {
      positions: [{ sid: 0, epoch: 7, seq: 5 }],
      messages: [{ type: "series", series: [{ id: 0, device: "d", metric: "m" }] }],
      frames: [toBase64(frameBytes)],
    };
    expect(pollData(answer)).toEqual([JSON.stringify(answer.messages[0]), frameBytes]);
  });

  it("asks for what follows a position, or for a snapshot without one", () => {
    expect(pollUrl(target.page, "demo", [{ sid: 0, epoch: 7, seq: 3 }], 0)).toBe(
      "http://127.0.0.1:8787/api/v1/boards/demo/poll?wait=0&series=*&pos=0.7.3",
    );
    expect(pollUrl(target.page, "demo", null)).toBe("http://127.0.0.1:8787/api/v1/boards/demo/poll?series=*");
  });

  it("polls after each answer's position, the first without waiting, opening on the first answer", async () => {
    const urls: string[] = [];
    const answers: PollAnswer[] = [
      { positions: [{ sid: 0, epoch: 7, seq: 5 }], messages: [], frames: [toBase64(frameBytes)] },
      // A subscription that filtered out every batch still moves the position on.
      { positions: [{ sid: 0, epoch: 7, seq: 9 }], messages: [], frames: [] },
    ];
    let hang: () => void = () => {};
    vi.stubGlobal("fetch", async (url: string, init: RequestInit) => {
      urls.push(url);
      const answer = answers.shift();
      if (answer) return Response.json(answer);
      return new Promise<Response>((_, reject) => {
        hang = () => reject(new DOMException("aborted", "AbortError"));
        init.signal?.addEventListener("abort", hang);
      });
    });
    const { events, handlers, closed } = recorder();
    const connection = pollConnector(target)(handlers);
    await vi.waitFor(() => expect(urls).toHaveLength(3));
    connection.close(1000, "dashboard closed");
    await closed;
    expect(urls.map((url) => new URL(url).search)).toEqual([
      "?wait=0&series=*&pos=0.7.3",
      "?series=*&pos=0.7.5",
      "?series=*&pos=0.7.9",
    ]);
    expect(events).toEqual([["open"], ["message", frameBytes], ["close", 1000, "dashboard closed"]]);
  });

  it("ends the attempt when a poll fails, so the reconnect loop takes over", async () => {
    vi.stubGlobal("fetch", async () => new Response("busy", { status: 503 }));
    const { events, handlers, closed } = recorder();
    pollConnector(target)(handlers);
    await closed;
    expect(events).toEqual([["close", 1006, "poll failed: GET /api/v1/boards/demo/poll answered 503"]]);
  });
});
