import { describe, expect, it } from "vitest";
import { groupOffsetMs, xxhash64 } from "../../worker/rules/group-offset.ts";

const hash = (text: string) => xxhash64(new TextEncoder().encode(text)).toString(16);

describe("where a rule group falls in its interval", () => {
  it("hashes with xxHash64 (seed 0), as Prometheus's labels do, short inputs and 32-byte stripes alike", () => {
    expect(hash("")).toBe("ef46db3751d8e999");
    expect(hash("a")).toBe("d24ec4f1a98c6e5b");
    expect(hash("abc")).toBe("44bc2cf5ad770999");
    expect(hash("Nobody inspects the spammish repetition")).toBe("fbcea83c8a378bf1");
  });

  it("is an offset below the interval that depends on the file and the group's name", () => {
    const offsets = ["a", "b", "c", "d"].map((name) => groupOffsetMs("/api/v1/boards/x/rules", name, 60_000));
    for (const offset of offsets) expect(offset).toBeGreaterThanOrEqual(0);
    for (const offset of offsets) expect(offset).toBeLessThan(60_000);
    expect(new Set(offsets).size).toBe(4);
    expect(groupOffsetMs("/api/v1/boards/y/rules", "a", 60_000)).not.toBe(offsets[0]);
  });
});
