import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { Tick } from "../../worker/live/tick.ts";

describe("Tick (50 ms)", () => {
  let flushes: number[];
  let tick: Tick;

  beforeEach(() => {
    vi.useFakeTimers({ now: 1_000_000 });
    flushes = [];
    tick = new Tick(50, () => flushes.push(Date.now() - 1_000_000));
  });
  afterEach(() => vi.useRealTimers());

  it("flushes at once after a quiet tick", () => {
    tick.schedule();
    expect(flushes).toEqual([0]);
  });

  it("holds what arrives within a tick of the last flush until the tick ends, as one flush", () => {
    tick.schedule();
    vi.advanceTimersByTime(10);
    tick.schedule();
    vi.advanceTimersByTime(20);
    tick.schedule();
    expect(flushes).toEqual([0]);
    vi.advanceTimersByTime(20);
    expect(flushes).toEqual([0, 50]);
  });

  it("flushes at once again once a whole tick has passed without data", () => {
    tick.schedule();
    vi.advanceTimersByTime(120);
    tick.schedule();
    expect(flushes).toEqual([0, 120]);
  });

  it("lets a forced run flush now and cancel the pending timer", () => {
    tick.schedule();
    vi.advanceTimersByTime(10);
    tick.schedule();
    tick.run();
    vi.advanceTimersByTime(100);
    expect(flushes).toEqual([0, 10]);
    expect(vi.getTimerCount()).toBe(0);
  });

  it("flushes every time at once with a tick of 0", () => {
    const immediate: number[] = [];
    const zero = new Tick(0, () => immediate.push(Date.now()));
    zero.schedule();
    zero.schedule();
    expect(immediate).toHaveLength(2);
    expect(vi.getTimerCount()).toBe(0);
  });
});
