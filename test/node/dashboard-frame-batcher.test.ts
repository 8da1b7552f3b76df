import { describe, expect, it } from "vitest";
import { formatClock, formatValue } from "../../dashboard/src/format.ts";
import { frameBatcher } from "../../dashboard/src/frame-batcher.ts";

describe("frameBatcher", () => {
  it("renders once per frame however many updates arrived in between", () => {
    const frames: Array<() => void> = [];
    let renders = 0;
    const requestRender = frameBatcher(
      () => renders++,
      (callback) => frames.push(callback),
    );
    for (let i = 0; i < 10; i++) requestRender();
    expect(frames).toHaveLength(1);
    frames.shift()!();
    expect(renders).toBe(1);
    requestRender();
    expect(frames).toHaveLength(1);
  });
});

describe("formatting", () => {
  it("shows clock time with seconds for axis ticks", () => {
    const at = new Date(2026, 10, 25, 9, 5, 7).getTime();
    expect(formatClock(at)).toBe("09:05:07");
  });

  it("shows at most two decimals", () => {
    expect(formatValue(21.456)).toMatch(/^21[.,]46$/);
    expect(formatValue(40)).toBe("40");
  });
});
