import { describe, expect, it } from "vitest";
import { parseFragment } from "../../dashboard/src/fragment.ts";
import { liveSocketUrl } from "../../dashboard/src/live-url.ts";

describe("parseFragment", () => {
  it("reads the board and token from the URL fragment, watching every series by default", () => {
    expect(parseFragment("#board=demo&token=ep1.abc.def")).toEqual({
      ok: true,
      board: "demo",
      token: "ep1.abc.def",
      selectors: ["*"],
    });
  });

  it("takes selectors to watch part of a large board, and refuses malformed ones", () => {
    const target = parseFragment("#board=demo&token=t&series=dev-0001:*&series=*:temp");
    expect(target).toMatchObject({ ok: true, selectors: ["dev-0001:*", "*:temp"] });
    const bad = parseFragment("#board=demo&token=t&series=nocolon");
    expect(bad.ok).toBe(false);
    expect(!bad.ok && bad.problem).toContain("series=nocolon");
  });

  it("explains how to open the page when board or token is missing", () => {
    for (const hash of ["", "#", "#board=demo", "#token=ep1.a.b"]) {
      const target = parseFragment(hash);
      expect(target.ok).toBe(false);
      expect(!target.ok && target.problem).toContain("#board=<board>&token=<viewer token>");
    }
  });

  it("refuses a board name the server would refuse", () => {
    const target = parseFragment("#board=../admin&token=t");
    expect(target).toEqual({ ok: false, problem: 'Board "../admin" is not a valid board name.' });
  });
});

describe("liveSocketUrl", () => {
  it("uses ws: on http pages and subscribes to every series by default", () => {
    expect(liveSocketUrl("http://127.0.0.1:8787/#board=demo", "demo", null)).toBe(
      "ws://127.0.0.1:8787/api/v1/boards/demo/live?series=*",
    );
  });

  it("uses wss: on https pages and adds the resume position", () => {
    expect(
      liveSocketUrl(
        "https://pulse.example/",
        "b-1",
        [
          { sid: 0, epoch: 42, seq: 7 },
          { sid: 2, epoch: 5, seq: 1 },
        ],
        ["sensor-1:*", "*:temp_c"],
      ),
    ).toBe(
      "wss://pulse.example/api/v1/boards/b-1/live?series=sensor-1%3A*&series=*%3Atemp_c&pos=0.42.7_2.5.1",
    );
  });
});
