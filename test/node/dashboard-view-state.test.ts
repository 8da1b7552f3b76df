import { describe, expect, it } from "vitest";
import {
  dashboardLink,
  formatViewState,
  parseViewState,
  uidFor,
} from "../../dashboard/src/dashboards/view-state.ts";

describe("a dashboard's URL fragment", () => {
  it("is not a dashboard's without dashboard=, so the live view opens", () => {
    expect(parseViewState("#board=demo&token=t")).toBeNull();
  });

  it("reads the dashboard, range, refresh, variables (repeated for several values) and full-screen panel", () => {
    const result = parseViewState(
      "#board=demo&token=ep1.a.b&dashboard=hosts&from=now-6h&to=now&refresh=30s&var-host=a&var-host=b&var-job=%24__all&viewPanel=3",
    );
    expect(result).toEqual({
      ok: true,
      state: {
        board: "demo",
        token: "ep1.a.b",
        dashboard: "hosts",
        range: { from: "now-6h", to: "now" },
        refresh: "30s",
        selection: { host: ["a", "b"], job: ["$__all"] },
        viewPanel: 3,
      },
    });
  });

  it("leaves out what the URL does not say, so the dashboard's saved range and refresh apply", () => {
    const result = parseViewState("#board=demo&token=t&dashboard=hosts&from=now-6h&viewPanel=x");
    expect(result).toEqual({
      ok: true,
      state: { board: "demo", token: "t", dashboard: "hosts", selection: {} },
    });
  });

  it("explains a missing board or token and refuses a bad uid", () => {
    expect(parseViewState("#dashboard=hosts")).toMatchObject({ ok: false });
    expect(parseViewState("#board=demo&token=t&dashboard=no%20spaces")).toEqual({
      ok: false,
      problem: '"no spaces" is not a dashboard uid.',
    });
  });

  it("writes back what it reads, in Grafana's form", () => {
    const hash =
      "board=demo&token=t&dashboard=hosts&from=now-1h&to=now&refresh=&var-host=a&var-host=b&viewPanel=2";
    const parsed = parseViewState(`#${hash}`);
    expect(parsed?.ok && formatViewState(parsed.state)).toBe(hash);
    expect(dashboardLink("demo", "t", "hosts")).toBe("#board=demo&token=t&dashboard=hosts");
  });

  it("makes uids from titles, within Grafana's alphabet and length", () => {
    expect(uidFor("CPU per host!", () => 0.5)).toBe("cpu-per-host-i000");
    expect(uidFor("¡¡¡", () => 0)).toBe("dashboard-0000");
    expect(uidFor("x".repeat(80), () => 0.999999)).toMatch(/^x{30}-[0-9a-z]{4}$/);
  });
});
