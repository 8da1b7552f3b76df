import { describe, expect, it } from "vitest";
import type { ApiError } from "../../worker/http/errors.ts";
import { allowedOrigins, checkOrigin } from "../../worker/http/handshake.ts";

const upgrade = (origin: string) =>
  new Request("https://edgepulse.example/api/v1/boards/demo/live", { headers: { origin } });
const refusal = (origin: string, allowed: string) => {
  try {
    checkOrigin(upgrade(origin), allowed);
    return null;
  } catch (error) {
    return (error as ApiError).code;
  }
};

describe("ALLOWED_ORIGINS", () => {
  it("parses to the origins listed, trimmed, with no empty entry", () => {
    expect(allowedOrigins("")).toEqual([]);
    expect(allowedOrigins(" , ,")).toEqual([]);
    expect(allowedOrigins(" https://a.example ,,https://b.example ")).toEqual([
      "https://a.example",
      "https://b.example",
    ]);
  });

  it("lets no empty or blank Origin through, whatever the list holds", () => {
    for (const allowed of ["", ",", " , https://a.example"])
      for (const origin of ["", "   ", "\t"]) expect(refusal(origin, allowed)).toBe("origin_not_allowed");
  });

  it("lets the Worker's own origin and listed ones through, and nothing else", () => {
    expect(refusal("https://edgepulse.example", "")).toBeNull();
    expect(refusal("https://a.example", "https://b.example, https://a.example")).toBeNull();
    expect(refusal("https://evil.example", "https://a.example")).toBe("origin_not_allowed");
    expect(refusal("null", "")).toBe("origin_not_allowed");
  });
});
