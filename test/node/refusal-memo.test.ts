import { describe, expect, it } from "vitest";
import type { ApiError } from "../../worker/http/errors.ts";
import { RefusalMemo } from "../../worker/http/refusal-memo.ts";

const refusalOf = (memo: RefusalMemo, key: string, now: number): ApiError | null => {
  try {
    memo.check(key, now);
    return null;
  } catch (error) {
    return error as ApiError;
  }
};

describe("RefusalMemo", () => {
  it("answers the remembered 429 until its time is up, with a jittered Retry-After at least the time left", () => {
    const memo = new RefusalMemo();
    memo.remember("b/d", 10, "rate_limited", "slow down", 1_000);
    const refused = refusalOf(memo, "b/d", 4_000);
    expect(refused).toMatchObject({ status: 429, code: "rate_limited", message: "slow down" });
    const retryAfter = Number(refused?.headers["retry-after"]);
    expect(retryAfter).toBeGreaterThanOrEqual(7);
    expect(retryAfter).toBeLessThan(7 + 5);
    expect(refusalOf(memo, "b/other", 4_000)).toBeNull();
    expect(refusalOf(memo, "b/d", 11_000)).toBeNull();
  });

  it("ignores refusals without a usable Retry-After, and stays bounded in size", () => {
    const memo = new RefusalMemo(2);
    memo.remember("a", Number.NaN, "x", "x", 0);
    memo.remember("b", 0, "x", "x", 0);
    expect(refusalOf(memo, "a", 1)).toBeNull();
    for (const key of ["c", "d", "e"]) memo.remember(key, 60, "x", "x", 0);
    expect([..."cde"].filter((key) => refusalOf(memo, key, 1) !== null).length).toBeLessThanOrEqual(2);
  });
});
