import { describe, expect, it } from "vitest";
import { backoffDelay, DEFAULT_BACKOFF } from "../../dashboard/src/backoff.ts";

describe("backoffDelay", () => {
  it("starts from a 500 ms ceiling and doubles it per attempt", () => {
    const justBelowOne = () => 0.999999;
    expect([0, 1, 2, 3, 4].map((attempt) => backoffDelay(attempt, justBelowOne))).toEqual([
      499, 999, 1999, 3999, 7999,
    ]);
  });

  it("never exceeds the 30 s cap, however many attempts failed", () => {
    for (const attempt of [6, 10, 50, 1000]) {
      expect(backoffDelay(attempt, () => 0.999999)).toBeLessThan(DEFAULT_BACKOFF.capMs);
    }
    expect(backoffDelay(1000, () => 0.5)).toBe(15_000);
  });

  it("uses full jitter: the delay is the random fraction of the ceiling, down to zero", () => {
    expect(backoffDelay(3, () => 0)).toBe(0);
    expect(backoffDelay(3, () => 0.25)).toBe(1000);
    expect(backoffDelay(3, () => 0.5)).toBe(2000);
  });

  it("spreads delays over the whole range with a real random source", () => {
    const delays = Array.from({ length: 2000 }, () => backoffDelay(2, Math.random));
    expect(Math.min(...delays)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...delays)).toBeLessThan(2000);
    expect(Math.min(...delays)).toBeLessThan(200);
    expect(Math.max(...delays)).toBeGreaterThan(1800);
  });

  it("takes other bounds", () => {
    expect(backoffDelay(2, () => 0.5, { baseMs: 100, capMs: 300 })).toBe(150);
  });
});
