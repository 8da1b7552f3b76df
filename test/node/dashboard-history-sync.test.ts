import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { HistoryAnswer } from "../../dashboard/src/history-query.ts";
import { type HistoryStatus, HistorySync, type HistoryView } from "../../dashboard/src/history-sync.ts";
import { RANGES, type TimeRange } from "../../dashboard/src/time-range.ts";
import type { DataFrame, SeriesDef } from "../../worker/protocol/index.ts";

const EPOCH = 7;
const temp: SeriesDef = { id: 0, device: "sensor-1", metric: "temp_c" };
const [live, hour] = RANGES as [TimeRange, TimeRange];

function answer(seq: number, epoch = EPOCH): HistoryAnswer {
  const series = [{ ...temp, ts: [0], avg: [1], min: [1], max: [1], count: [1], last: [1] }];
  return { positions: [{ sid: 0, epoch, seq }], from: 0, to: 1, step: 500, resolution: "raw", series };
}

const frame = (fromSeq: number, toSeq: number): DataFrame => ({
  sid: 0,
  epoch: EPOCH,
  fromSeq,
  toSeq,
  groups: [{ seriesId: 0, ts: [toSeq], values: [toSeq] }],
});

/** A view that records what it is shown, and history requests the test answers by hand. */
function harness() {
  const shown: string[] = [];
  const defs: SeriesDef[] = [];
  const view: HistoryView = {
    seriesDefs: () => [...defs],
    series: (series) => defs.push(...series),
    frame: (f) => shown.push(`frame ${f.fromSeq}-${f.toSeq}`),
    showHistory: (range, answers) => shown.push(`history ${range.id} @${answers[0]?.positions[0]?.seq}`),
    reset: () => {
      defs.length = 0;
      shown.push("reset");
    },
    problem: (text) => shown.push(`problem ${text}`),
  };
  const requests: Array<{ range: TimeRange; answer(a: HistoryAnswer): void; signal: AbortSignal }> = [];
  const statuses: HistoryStatus["state"][] = [];
  const sync = new HistorySync({
    view,
    range: live,
    load: (_series, range, signal) =>
      new Promise((resolve) => requests.push({ range, signal, answer: (a) => resolve([a]) })),
    livePosition: () => [{ sid: 0, epoch: EPOCH, seq: 0 }],
    onStatus: (status) => statuses.push(status.state),
  });
  return { sync, shown, requests, statuses };
}

/** Lets answered requests run on. */
const settle = () => vi.advanceTimersByTimeAsync(0);

describe("HistorySync", () => {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] });
    // Backoff jitter at half the ceiling: the first retry comes after 250 ms.
    vi.spyOn(Math, "random").mockReturnValue(0.5);
  });
  afterEach(() => {
    vi.useRealTimers();
    vi.restoreAllMocks();
  });

  it("loads history once the series are known, then shows only the live frames after its seq", async () => {
    const h = harness();
    h.sync.frame(frame(1, 1));
    expect(h.requests).toHaveLength(0);
    h.sync.series([temp]);
    expect(h.requests.map((r) => r.range.id)).toEqual(["5m"]);
    h.sync.frame(frame(2, 3));
    h.sync.frame(frame(4, 4));
    h.requests[0]!.answer(answer(3));
    await settle();
    h.sync.frame(frame(5, 5));
    expect(h.shown).toEqual(["frame 1-1", "history 5m @3", "frame 4-4", "frame 5-5"]);
    expect(h.statuses).toEqual(["loading", "ready"]);
  });

  it("reloads on a range change and ignores the answer of the request it replaced", async () => {
    const h = harness();
    h.sync.series([temp]);
    h.sync.select(hour);
    expect(h.requests[0]!.signal.aborted).toBe(true);
    h.requests[0]!.answer(answer(3));
    h.requests[1]!.answer(answer(4));
    await settle();
    expect(h.shown).toEqual(["history 1h @4"]);
  });

  it("loads again after a reset, once the new snapshot names the series", async () => {
    const h = harness();
    h.sync.series([temp]);
    h.requests[0]!.answer(answer(3));
    await settle();
    h.sync.reset();
    expect(h.requests).toHaveLength(1);
    h.sync.series([temp]);
    expect(h.requests).toHaveLength(2);
  });

  it("retries after a backoff when the history's epoch is not the live stream's", async () => {
    const h = harness();
    h.sync.series([temp]);
    h.requests[0]!.answer(answer(3, EPOCH + 1));
    await settle();
    expect(h.statuses).toEqual(["loading", "failed"]);
    expect(h.shown).toEqual(["problem history and live stream disagree on the board's epoch"]);
    await vi.advanceTimersByTimeAsync(249);
    expect(h.requests).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(h.requests).toHaveLength(2);
  });

  it("reloads when a live frame straddles the seq the history holds", async () => {
    const h = harness();
    h.sync.series([temp]);
    h.requests[0]!.answer(answer(3));
    await settle();
    h.sync.frame(frame(2, 6));
    expect(h.requests).toHaveLength(2);
  });
});
