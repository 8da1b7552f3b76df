import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { AckScheduler } from "../../dashboard/src/ack-scheduler.ts";

describe("AckScheduler", () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it("sends at most one ack per interval, carrying the newest seq", () => {
    const sent: string[] = [];
    const acks = new AckScheduler((text) => sent.push(text), 250);
    acks.applied(1);
    acks.applied(2);
    acks.applied(3);
    expect(sent).toEqual([]);
    vi.advanceTimersByTime(250);
    expect(sent).toEqual(['{"type":"ack","seq":3}']);
    acks.applied(4);
    vi.advanceTimersByTime(249);
    expect(sent).toHaveLength(1);
    vi.advanceTimersByTime(1);
    expect(sent.at(-1)).toBe('{"type":"ack","seq":4}');
  });

  it("stays silent while no frames arrive", () => {
    const sent: string[] = [];
    new AckScheduler((text) => sent.push(text), 250);
    vi.advanceTimersByTime(10_000);
    expect(sent).toEqual([]);
  });
});
