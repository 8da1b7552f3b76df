import { describe, expect, it } from "vitest";
import {
  type DataFrame,
  decodeFrame,
  encodeFrame,
  formatLabels,
  parseClientMessage,
  parseLabels,
  parseSelector,
  type SeriesIdentity,
  selectorMatches,
  seriesName,
  splitSelectors,
} from "../../worker/protocol/index.ts";
import { seededRandom } from "../seeded-random.ts";

const VALUE_KINDS: Array<(r: () => number) => number> = [
  (r) => Math.round(r() * 1000) / 10,
  (r) => Math.round((r() - 0.5) * 2e6),
  (r) => (r() - 0.5) * 1e300,
  (r) => r() * Number.MIN_VALUE * 1000,
  (r) => Math.round(r() * 1e9) / 1e6,
  () => Number.MAX_SAFE_INTEGER,
  () => -Number.MAX_VALUE,
  () => -0,
  (r) => r(),
  () => Number.NaN,
  () => Number.POSITIVE_INFINITY,
  () => Number.NEGATIVE_INFINITY,
];

function randomFrame(r: () => number): DataFrame {
  const base = 1_700_000_000_000 + Math.floor(r() * 1e11);
  const fromSeq = Math.floor(r() * 2 ** 40);
  const groups = Array.from({ length: 1 + Math.floor(r() * 6) }, (_, g) => {
    const count = 1 + Math.floor(r() * 40);
    return {
      seriesId: g * 1000 + Math.floor(r() * 1000),
      ts: Array.from({ length: count }, () => base + Math.floor((r() - 0.3) * 600_000)),
      values: Array.from({ length: count }, () => VALUE_KINDS[Math.floor(r() * VALUE_KINDS.length)]!(r)),
    };
  });
  // Some groups end in a staleness marker (value NaN) or hold one midway.
  for (const group of groups) {
    if (r() < 0.7) continue;
    const at = Math.floor(r() * group.ts.length);
    group.values[at] = Number.NaN;
    Object.assign(group, { stale: group.ts.map((_, i) => i === at) });
  }
  return {
    sid: Math.floor(r() * 3000),
    epoch: Math.floor(r() * 2 ** 32),
    fromSeq,
    toSeq: fromSeq + Math.floor(r() * 100),
    groups,
  };
}

describe("data frame codec", () => {
  it("round-trips 500 random frames exactly, including -0, extremes, subnormals, NaN, ±Inf and staleness markers", () => {
    for (let seed = 1; seed <= 500; seed++) {
      const frame = randomFrame(seededRandom(seed));
      const decoded = decodeFrame(encodeFrame(frame));
      expect(decoded, `seed ${seed}`).toEqual(frame);
      for (const [g, group] of decoded.groups.entries()) {
        for (const [i, value] of group.values.entries()) {
          expect(Object.is(value, frame.groups[g]!.values[i]), `seed ${seed}`).toBe(true);
        }
      }
    }
  });

  it("spends under 7 bytes per point on typical sensor readings", () => {
    const r = seededRandom(7);
    const start = 1_764_000_000_000;
    const groups = Array.from({ length: 50 }, (_, id) => ({
      seriesId: id,
      ts: Array.from({ length: 20 }, (_, i) => start + i * 5 + id),
      values: Array.from({ length: 20 }, () => Math.round((20 + r() * 5) * 100) / 100),
    }));
    const bytes = encodeFrame({ sid: 0, epoch: 1, fromSeq: 10, toSeq: 19, groups }).byteLength;
    expect(bytes / 1000).toBeLessThan(7);
  });

  it("spends one byte past the timestamp on a staleness marker", () => {
    const frame = (stale?: boolean[]) =>
      encodeFrame({
        sid: 0,
        epoch: 1,
        fromSeq: 1,
        toSeq: 1,
        groups: [{ seriesId: 1, ts: [5, 6], values: [1, Number.NaN], ...(stale ? { stale } : {}) }],
      });
    expect(frame().byteLength - frame([false, true]).byteLength).toBe(8);
    expect(decodeFrame(frame([false, true])).groups[0]!.stale).toEqual([false, true]);
    expect(decodeFrame(frame()).groups[0]).not.toHaveProperty("stale");
  });

  it("rejects truncated, trailing and unknown input", () => {
    const frame = encodeFrame({
      sid: 0,
      epoch: 1,
      fromSeq: 1,
      toSeq: 1,
      groups: [{ seriesId: 1, ts: [5], values: [1.5] }],
    });
    expect(() => decodeFrame(frame.subarray(0, frame.length - 1))).toThrow(RangeError);
    expect(() => decodeFrame(new Uint8Array([...frame, 0]))).toThrow(RangeError);
    expect(() => decodeFrame(new Uint8Array([9, ...frame.subarray(1)]))).toThrow(/unknown frame kind/);
  });
});

describe("client messages", () => {
  it("accepts subscribe and unsubscribe with valid selectors", () => {
    expect(parseClientMessage('{"type":"subscribe","series":["*","dev:*","*:temp","dev:temp"]}')).toEqual({
      type: "subscribe",
      series: ["*", "dev:*", "*:temp", "dev:temp"],
    });
    expect(parseClientMessage('{"type":"unsubscribe","series":[]}')).toEqual({
      type: "unsubscribe",
      series: [],
    });
  });

  it.each([
    ["not json", "message is not valid JSON"],
    ["[1]", "type must be subscribe, unsubscribe, ack, pace, query or unquery"],
    ['{"type":"publish","series":[]}', "type must be subscribe, unsubscribe, ack, pace, query or unquery"],
    ['{"type":"ack","frames":-1}', "ack needs a non-negative integer frames"],
    ['{"type":"ack","frames":1,"results":1.5}', "ack's results must be a non-negative integer"],
    ['{"type":"subscribe","series":"*"}', "series must be an array of at most 32 selectors"],
    ['{"type":"subscribe","series":[":x"]}', 'selector ":x" must start with device: or *:'],
    [`{"type":"subscribe","series":${JSON.stringify(Array(33).fill("*"))}}`, "at most 32"],
  ])("refuses %s", (text, error) => {
    const parsed = parseClientMessage(text);
    expect("error" in parsed && parsed.error).toContain(error);
  });

  it("accepts acks with and without a count of live query answers", () => {
    expect(parseClientMessage('{"type":"ack","frames":3}')).toEqual({ type: "ack", frames: 3 });
    expect(parseClientMessage('{"type":"ack","frames":3,"results":2}')).toEqual({
      type: "ack",
      frames: 3,
      results: 2,
    });
  });

  it("accepts live PromQL query and unquery messages", () => {
    expect(
      parseClientMessage('{"type":"query","id":"q","expr":"up","step":1000,"after":1764760800}'),
    ).toEqual({
      type: "query",
      id: "q",
      expr: "up",
      step: 1000,
      after: 1764760800,
    });
    expect(parseClientMessage('{"type":"unquery","id":"q"}')).toEqual({ type: "unquery", id: "q" });
  });

  it.each([
    [
      '{"type":"query","id":"q","expr":"up","step":999}',
      "step must be a whole number of ms from 1000 to 3600000",
    ],
    ['{"type":"query","id":"q","expr":"up","step":1500.5}', "step must be"],
    ['{"type":"query","id":"","expr":"up","step":1000}', "id must be a string of 1 to 64 chars"],
    [
      `{"type":"query","id":"q","expr":"${"x".repeat(4097)}","step":1000}`,
      "expr must be a PromQL expression of 1 to 4096 chars",
    ],
    ['{"type":"query","id":"q","expr":"up","step":1000,"after":"now"}', "after is a time in seconds"],
    ['{"type":"unquery"}', "id must be"],
  ])("refuses the live query message %s", (text, error) => {
    const parsed = parseClientMessage(text);
    expect("error" in parsed && parsed.error).toContain(error);
  });

  const matches = (selector: string, series: SeriesIdentity) => {
    const parsed = parseSelector(selector);
    if ("error" in parsed) throw new Error(parsed.error);
    return selectorMatches(parsed, series);
  };

  it("matches selectors by device, metric or both", () => {
    const dm = { device: "d", metric: "m" };
    expect(matches("*", dm)).toBe(true);
    expect(matches("d:*", dm)).toBe(true);
    expect(matches("*:m", dm)).toBe(true);
    expect(matches("d:m", dm)).toBe(true);
    expect(matches("d:m", { device: "d", metric: "n" })).toBe(false);
    expect(matches("e:*", dm)).toBe(false);
    expect(matches("d:a:b", { device: "d", metric: "a:b" })).toBe(true);
  });

  it("matches labels with =, !=, =~ and !~, a missing label reading as empty", () => {
    const series = { device: "d", metric: "http", labels: { route: "/a", code: "503" } };
    expect(matches("d:http", series)).toBe(true);
    expect(matches('d:http{route="/a"}', series)).toBe(true);
    expect(matches('d:http{route="/b"}', series)).toBe(false);
    expect(matches('*:http{ route = "/a" , code=~"5.." }', series)).toBe(true);
    expect(matches('d:http{code!~"2..|3.."}', series)).toBe(true);
    expect(matches('d:http{code!="503"}', series)).toBe(false);
    expect(matches('d:http{host=""}', series)).toBe(true);
    expect(matches('d:http{host!=""}', series)).toBe(false);
    expect(matches('d:http{route="/a",}', series)).toBe(true);
  });

  it("reads escaped quotes, backslashes and newlines in label values, as series names write them", () => {
    const labels = { path: 'C:\\dir "x"\nnext' };
    const name = seriesName({ device: "d", metric: "m", labels });
    expect(name).toBe('d:m{path="C:\\\\dir \\"x\\"\\nnext"}');
    expect(matches(name, { device: "d", metric: "m", labels })).toBe(true);
    expect(parseLabels(formatLabels(labels))).toEqual(labels);
  });

  it.each([
    ["d:m{route=/a}", "expected '\"'"],
    ['d:m{route="/a"', "unterminated"],
    ['d:m{route=="/a"}', "expected"],
    ['d:m{9x="1"}', "bad label key"],
    ['d:m{x="\\q"}', "unknown escape"],
    ['d:m{x=~"(a+)+"}', "repeats a repeated group"],
    ['d:m{x=~"((ab)*)*"}', "repeats a repeated group"],
    ['d:m{x=~"["}', "not a valid regular expression"],
    ["d*:m", "must start with device"],
    ["d:", "needs a metric"],
    ['d:m{x="1"} trailing', "unexpected"],
    [`d:m{x="${"a".repeat(600)}"}`, "at most 512"],
  ])("refuses the selector %s", (selector, error) => {
    const parsed = parseSelector(selector);
    expect("error" in parsed && parsed.error).toContain(error);
  });

  it("accepts repetition that cannot backtrack exponentially", () => {
    for (const pattern of ["a+b*", "(ab)+", "(a|b)c*", "[(+]+", "x{2,3}", "(?:api|web)-[0-9]+"]) {
      expect(parseSelector(`d:m{x=~"${pattern}"}`), pattern).not.toHaveProperty("error");
    }
  });

  it("splits selector lists at commas outside braces and quotes", () => {
    expect(splitSelectors('a:b,c:d{x="1",y="2,3"},*')).toEqual(["a:b", 'c:d{x="1",y="2,3"}', "*"]);
  });
});
