import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { AckScheduler } from "../../dashboard/src/ack-scheduler.ts";

const FRAME = new Uint8Array([2]);

describe("AckScheduler", () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it("sends at most one ack per interval, carrying the frames processed on the connection", () => {
    const sent: string[] = [];
    const acks = new AckScheduler((text) => sent.push(text), 250);
    acks.processed(FRAME);
    acks.processed(FRAME);
    acks.processed(FRAME);
    expect(sent).toEqual([]);
    vi.advanceTimersByTime(250);
    expect(sent).toEqual(['{"type":"ack","frames":3,"results":0}']);
    acks.processed(FRAME);
    vi.advanceTimersByTime(249);
    expect(sent).toHaveLength(1);
    vi.advanceTimersByTime(1);
    expect(sent.at(-1)).toBe('{"type":"ack","frames":4,"results":0}');
  });

  it("counts from zero on a new connection and drops the old connection's pending ack", () => {
    const sent: string[] = [];
    const acks = new AckScheduler((text) => sent.push(text), 250);
    acks.processed(FRAME);
    acks.connected();
    vi.advanceTimersByTime(1000);
    expect(sent).toEqual([]);
    acks.processed(FRAME);
    vi.advanceTimersByTime(250);
    expect(sent).toEqual(['{"type":"ack","frames":1,"results":0}']);
  });

  it("counts live query answers apart from frames, and no other text message", () => {
    const sent: string[] = [];
    const acks = new AckScheduler((text) => sent.push(text), 250);
    acks.processed(
      '{"type":"result","id":"q","kind":"steps","start":1,"end":1,"resultType":"matrix","result":[]}',
    );
    acks.processed('{"type":"query_error","id":"q","status":"error","errorType":"bad_data","error":"x"}');
    acks.processed('{"type":"presence","devices":[],"viewers":1}');
    acks.processed(FRAME);
    vi.advanceTimersByTime(250);
    expect(sent).toEqual(['{"type":"ack","frames":1,"results":2}']);
    acks.processed('{"type":"series","series":[]}');
    vi.advanceTimersByTime(1000);
    expect(sent).toHaveLength(1);
  });

  it("stays silent while no frames arrive", () => {
    const sent: string[] = [];
    new AckScheduler((text) => sent.push(text), 250);
    vi.advanceTimersByTime(10_000);
    expect(sent).toEqual([]);
  });
});
