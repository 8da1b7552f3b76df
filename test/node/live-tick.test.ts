import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { Tick, WAIT_PER_MESSAGE_MS } from "../../worker/live/tick.ts";

describe("the adaptive tick (at most 100 ms)", () => {
  let flushes: number[];
  /** How many viewers each flush reaches (a message each). */
  let viewers: number;
  let tick: Tick;

  beforeEach(() => {
    vi.useFakeTimers({ now: 1_000_000 });
    flushes = [];
    viewers = 1;
    tick = new Tick(100, () => {
      flushes.push(Date.now() - 1_000_000);
      return viewers;
    });
  });
  afterEach(() => vi.useRealTimers());

  it("sends a lone point on a quiet board at once, and leaves no timer behind", () => {
    tick.schedule();
    expect(flushes).toEqual([0]);
    expect(vi.getTimerCount()).toBe(0);
  });

  it("sends every batch at once while fan-out is cheap (a hundred viewers)", () => {
    viewers = 100;
    expect(100 * WAIT_PER_MESSAGE_MS).toBeLessThan(2);
    for (let i = 0; i < 5; i++) {
      tick.schedule();
      vi.advanceTimersByTime(2);
    }
    expect(flushes).toEqual([0, 2, 4, 6, 8]);
  });

  it("coalesces a burst once a flush is costly, waiting WAIT_PER_MESSAGE_MS per message the last flush sent", () => {
    viewers = 3000;
    const gap = 3000 * WAIT_PER_MESSAGE_MS;
    tick.schedule();
    expect(tick.currentGapMs).toBe(gap);
    for (let i = 0; i < 10; i++) {
      vi.advanceTimersByTime(1);
      tick.schedule();
    }
    expect(flushes).toEqual([0]);
    vi.advanceTimersByTime(gap);
    expect(flushes).toEqual([0, gap]);
  });

  it("never waits longer than its bound, however costly a flush", () => {
    viewers = 1_000_000;
    tick.schedule();
    expect(tick.currentGapMs).toBe(100);
    tick.schedule();
    vi.advanceTimersByTime(100);
    expect(flushes).toEqual([0, 100]);
  });

  it("goes back to sending at once when flushes get cheap again", () => {
    viewers = 1000;
    const gap = 1000 * WAIT_PER_MESSAGE_MS;
    tick.schedule();
    viewers = 1;
    tick.schedule();
    vi.advanceTimersByTime(100);
    expect(flushes).toEqual([0, gap]);
    tick.schedule();
    expect(flushes).toEqual([0, gap, 100]);
  });

  it("lets a forced run flush now and cancel the pending timer", () => {
    viewers = 5000;
    tick.schedule();
    vi.advanceTimersByTime(10);
    tick.schedule();
    tick.run();
    expect(flushes).toEqual([0, 10]);
    expect(vi.getTimerCount()).toBe(0);
  });

  it("with a bound of 0 sends every time at once", () => {
    const immediate: number[] = [];
    const zero = new Tick(0, () => {
      immediate.push(Date.now());
      return 1_000_000;
    });
    zero.schedule();
    zero.schedule();
    expect(immediate).toHaveLength(2);
    expect(vi.getTimerCount()).toBe(0);
  });
});
