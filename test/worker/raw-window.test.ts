import { describe, expect, it } from "vitest";
import { remoteWriteBody, STALE, type WrittenSeries } from "../../scripts/remote-write-body.ts";
import type { LabelMatcher } from "../../worker/promql/querier.ts";
import { answer, evictBoard, freshBoard, postRemoteWrite, shardStub, token } from "./helpers.ts";

/**
 * Series on the board: 8 blocks of 128 series ids, so the 1 s chunks of two blocks are fewer bytes than the raw log
 * (`cheaperFromSeconds`).
 */
const SERIES = 1_000;
const SECONDS = 40;
const SUBNORMAL = 5e-324;
const ODD_VALUES = [
  Number.NaN,
  Number.POSITIVE_INFINITY,
  Number.NEGATIVE_INFINITY,
  -0,
  SUBNORMAL,
  1.7976931348623157e308,
];

type Sample = readonly [value: number, ts: number];

/** Labels of series `n`: `m{n="…"}`, 100 series a device (instance). */
function labelsOf(n: number): Record<string, string> {
  return { __name__: "m", instance: `host-${Math.floor(n / 100)}`, n: String(n) };
}

/**
 * One remote write per second from `t0` on, every series' sample of that second in it (as a scrape-based agent
 * sends), so the raw log's rows each hold every series' point; `extra(n, t)` adds samples to series n's second t.
 */
async function writeSeconds(
  board: string,
  t0: number,
  seconds: number,
  sampleValue: (n: number, t: number) => number,
  extra: (n: number, t: number) => Sample[] = () => [],
): Promise<void> {
  const gateway = await token("gateway", board, "prometheus");
  for (let s = 0; s < seconds; s++) {
    const t = t0 + s * 1000;
    const series: WrittenSeries[] = Array.from({ length: SERIES }, (_, n) => ({
      labels: labelsOf(n),
      samples: [[sampleValue(n, t), t], ...extra(n, t)],
    }));
    const { status } = await answer(postRemoteWrite(gateway, remoteWriteBody(series)));
    expect(status).toBe(204);
  }
}

/** A shard's answer to `m{n=~"…"}` over [start, end], as the hub asks for it, and the SQLite rows it read. */
async function select(board: string, ns: number[], start: number, end: number) {
  const matchers: LabelMatcher[] = [
    { name: "__name__", type: "=", value: "m" },
    { name: "n", type: "=~", value: ns.join("|") },
  ];
  const answered = await shardStub(board).promqlSelect({
    matchers,
    hints: { start, end, step: 0, range: 0 },
    now: Date.now(),
    maxSeries: 1_000,
    maxSamples: 1_000_000,
  });
  if ("exceeded" in answered) throw new Error(`exceeded ${answered.exceeded}`);
  expect(answered.source).toBe("raw");
  const byN = new Map(
    answered.series.map((s) => [
      Number(s.labels.n),
      {
        samples: Array.from(s.timestamps, (t, i) => [s.values[i]!, t] as const),
        stale: s.stale ? Array.from(s.stale) : undefined,
      },
    ]),
  );
  return { byN, rowsRead: answered.rowsRead };
}

/** Values compared bit for bit as numbers: NaN equals NaN, -0 differs from 0. */
function same(actual: readonly Sample[], expected: readonly Sample[]): void {
  expect(actual.length).toBe(expected.length);
  actual.forEach(([value, t], i) => {
    expect(t).toBe(expected[i]![1]);
    expect(Object.is(value, expected[i]![0]), `sample ${i} at ${t}: ${value} vs ${expected[i]![0]}`).toBe(
      true,
    );
  });
}

const sampleValue = (n: number, t: number) =>
  n === 0 ? ODD_VALUES[(t / 1000) % ODD_VALUES.length]! : n * 1_000 + ((t / 1000) % 997);

/** What series n was written in [from, to]: one sample a second, and `extra`'s. */
function written(
  n: number,
  t0: number,
  seconds: number,
  from: number,
  to: number,
  extra = (_t: number): Sample[] => [],
) {
  const samples: Sample[] = [];
  for (let s = 0; s < seconds; s++) {
    const t = t0 + s * 1000;
    samples.push([sampleValue(n, t), t], ...extra(t));
  }
  return samples.filter(([, t]) => t >= from && t <= to);
}

describe("raw-window selections rebuilt from 1 s buckets", () => {
  it("answer a few series of many exactly as the raw log holds them, NaN, ±Inf, -0 and subnormals bit for bit, two points in a second included, from chunks held and stored, in several blocks, reading a few rollup rows instead of every log row", async () => {
    const board = freshBoard();
    const t0 = Math.floor(Date.now() / 60_000) * 60_000 - 120_000;
    const twoInASecond = (n: number, t: number): Sample[] =>
      n === 5 && t % 3000 === 0 ? [[-1, t + 400]] : [];
    await writeSeconds(board, t0, SECONDS, sampleValue, twoInASecond);
    const ns = [0, 5, 140, 250];
    const expected = (n: number, to: number) =>
      written(n, t0, SECONDS, t0 - 60_000, to, (t) => twoInASecond(n, t));
    const check = async (to: number) => {
      const { byN, rowsRead } = await select(board, ns, t0 - 60_000, to);
      for (const n of ns) {
        same(byN.get(n)!.samples, expected(n, to));
        expect(byN.get(n)!.stale).toBeUndefined();
      }
      return rowsRead;
    };
    // Held chunks only: 2 blocks × at most 2 minutes of 1 s chunks, against a log row per second.
    expect(await check(t0 + SECONDS * 1000)).toBeLessThan(SECONDS / 2);
    // The stored chunk (the checkpoint wrote it, the wake let it go) and the held one of the next minute.
    await evictBoard(board);
    const next = t0 + 60_000;
    await writeSeconds(board, next, 20, sampleValue);
    const to = next + 20_000;
    const { byN, rowsRead } = await select(board, ns, t0 - 60_000, to);
    for (const n of ns) same(byN.get(n)!.samples, [...expected(n, to), ...written(n, next, 20, t0, to)]);
    expect(rowsRead).toBeLessThan(SECONDS / 2);
  });

  it("fall back to the raw log for a series with three points in a second or a staleness marker, and read the part before the complete 1 s chunks from the log", async () => {
    const board = freshBoard();
    const t0 = Math.floor(Date.now() / 1000) * 1000 - SECONDS * 1000;
    const marker = t0 + 10_000;
    const threeInASecond = (n: number, t: number): Sample[] =>
      n === 6 && t === t0 + 5_000
        ? [
            [1, t + 300],
            [2, t + 600],
          ]
        : [];
    // Points older than the 1 s rollups keep (a point an hour and two minutes old skips them).
    const old = t0 - 62 * 60_000;
    await writeSeconds(board, old, 3, sampleValue);
    await writeSeconds(
      board,
      t0,
      SECONDS,
      (n, t) => (n === 7 && t === marker ? STALE : sampleValue(n, t)),
      threeInASecond,
    );
    const from = old - 60_000;
    const to = t0 + SECONDS * 1000;
    const { byN } = await select(board, [6, 7, 8], from, to);
    const expected = (n: number, extra = (_t: number): Sample[] => []) => [
      ...written(n, old, 3, from, to),
      ...written(n, t0, SECONDS, from, to, extra),
    ];
    same(
      byN.get(6)!.samples,
      expected(6, (t) => threeInASecond(6, t)),
    );
    same(byN.get(8)!.samples, expected(8));
    expect(byN.get(8)!.stale).toBeUndefined();
    const seven = byN.get(7)!;
    const markerAt = seven.samples.findIndex(([, t]) => t === marker);
    expect(Number.isNaN(seven.samples[markerAt]![0])).toBe(true);
    expect(seven.stale).toEqual(seven.samples.map((_, i) => (i === markerAt ? 1 : 0)));
    same(
      seven.samples.filter((_, i) => i !== markerAt),
      expected(7).filter(([, t]) => t !== marker),
    );
    // Series the buckets tell from the complete chunks on: the log is read for the part before only, and only
    // until it has the points their 1 min buckets count there, unless a late one makes it read on to find it.
    const early = await select(board, [8], from, to);
    same(early.byN.get(8)!.samples, expected(8));
    // The log holds 43 rows here, which a read to its end scans.
    expect(early.rowsRead).toBeLessThan(30);
    const gateway = await token("gateway", board, "prometheus");
    const late = { labels: labelsOf(8), samples: [[-5, old + 1500] as const] };
    expect((await answer(postRemoteWrite(gateway, remoteWriteBody([late])))).status).toBe(204);
    const withLate = await select(board, [8], from, to);
    same(
      withLate.byN.get(8)!.samples,
      [...expected(8), [-5, old + 1500] as const].sort((a, b) => a[1] - b[1]),
    );
    // The marker is kept through a checkpoint and a wake: the series still comes from the log.
    await evictBoard(board);
    const again = await select(board, [7], from, to);
    expect(again.byN.get(7)!.stale).toEqual(seven.stale);
  });
});
