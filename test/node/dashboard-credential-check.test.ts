import { describe, expect, it } from "vitest";
import { checkCredential } from "../../dashboard/src/credential-check.ts";

const answering = (status: number, body?: unknown) => async () =>
  new Response(body === undefined ? null : JSON.stringify(body), { status });

describe("checkCredential", () => {
  it("asks the board's ticket endpoint with the token", async () => {
    const calls: Array<[string, RequestInit | undefined]> = [];
    const fetcher = async (url: string | URL | Request, init?: RequestInit) => {
      calls.push([String(url), init]);
      return new Response("{}", { status: 201 });
    };
    expect(await checkCredential("http://x.test/#board=b", "b", "tok", fetcher as typeof fetch)).toBeNull();
    expect(calls).toEqual([
      ["http://x.test/api/v1/boards/b/tickets", { method: "POST", headers: { authorization: "Bearer tok" } }],
    ]);
  });

  it.each([
    ["token_expired", 401, /expired/],
    ["bad_signature", 401, /not signed by this server/],
    ["wrong_board", 403, /another board/],
    ["wrong_token_kind", 403, /cannot view boards/],
  ])("names %s in words, with what to do", async (code, status, title) => {
    const problem = await checkCredential(
      "http://x.test/",
      "b",
      "t",
      answering(status, { error: { code } }) as typeof fetch,
    );
    expect(problem?.code).toBe(code);
    expect(problem?.title).toMatch(title);
    expect(problem?.advice).toContain("npm run token -- viewer --board b");
  });

  it("leaves anything but 401 and 403 to the reconnect loop: server errors, rate limits, a network failure", async () => {
    for (const status of [500, 503, 429, 201])
      expect(await checkCredential("http://x.test/", "b", "t", answering(status) as typeof fetch)).toBeNull();
    const offline = (async () => {
      throw new TypeError("fetch failed");
    }) as typeof fetch;
    expect(await checkCredential("http://x.test/", "b", "t", offline)).toBeNull();
  });
});
