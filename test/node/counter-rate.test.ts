import { describe, expect, it } from "vitest";
import { counterRates } from "../../worker/query/counter-rate.ts";

describe("counterRates", () => {
  it("gives the increase per second between buckets, reading a drop as a reset to 0", () => {
    const rates = counterRates({ last: [10, 20, 5, 15, 15], lastTs: [0, 1000, 2000, 4000, 5000] });
    expect(rates).toEqual([null, 10, 5, 5, 0]);
  });

  it("answers null where no time passed, and nothing for no buckets", () => {
    expect(counterRates({ last: [1, 2], lastTs: [1000, 1000] })).toEqual([null, null]);
    expect(counterRates({ last: [], lastTs: [] })).toEqual([]);
  });
});
