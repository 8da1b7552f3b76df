import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { AckScheduler } from "../../dashboard/src/ack-scheduler.ts";

describe("AckScheduler", () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it("sends at most one ack per interval, carrying the frames processed on the connection", () => {
    const sent: string[] = [];
    const acks = new AckScheduler((text) => sent.push(text), 250);
    acks.processed();
    acks.processed();
    acks.processed();
    expect(sent).toEqual([]);
    vi.advanceTimersByTime(250);
    expect(sent).toEqual(['{"type":"ack","frames":3}']);
    acks.processed();
    vi.advanceTimersByTime(249);
    expect(sent).toHaveLength(1);
    vi.advanceTimersByTime(1);
    expect(sent.at(-1)).toBe('{"type":"ack","frames":4}');
  });

  it("counts from zero on a new connection and drops the old connection's pending ack", () => {
    const sent: string[] = [];
    const acks = new AckScheduler((text) => sent.push(text), 250);
    acks.processed();
    acks.connected();
    vi.advanceTimersByTime(1000);
    expect(sent).toEqual([]);
    acks.processed();
    vi.advanceTimersByTime(250);
    expect(sent).toEqual(['{"type":"ack","frames":1}']);
  });

  it("stays silent while no frames arrive", () => {
    const sent: string[] = [];
    new AckScheduler((text) => sent.push(text), 250);
    vi.advanceTimersByTime(10_000);
    expect(sent).toEqual([]);
  });
});
