import { describe, expect, it } from "vitest";
import {
  applyLiveResult,
  emptyLiveMatrix,
  type LiveMatrix,
  liveMatrixData,
  trimLiveMatrix,
} from "../../dashboard/src/dashboards/live-matrix.ts";
import type { LiveResult, LiveSeries } from "../../worker/protocol/live-query.ts";

const event = (kind: LiveResult["kind"], start: number, end: number, result: LiveSeries[]): LiveResult => ({
  id: "q",
  kind,
  start,
  end,
  resultType: "matrix",
  result,
});

const job = (name: string, values: Array<[number, number]>): LiveSeries => ({
  metric: { job: name },
  values: values.map(([t, v]) => [t, String(v)]),
});

/** The matrix as `job: [[t, v], …]`, to compare with what query_range would answer. */
const held = (matrix: LiveMatrix) =>
  Object.fromEntries(
    [...matrix.series.values()].map((one) => [one.metric.job, one.values.map(([t, v]) => [t, Number(v)])]),
  );

describe("a live subscription's matrix", () => {
  it("starts with the history and appends each event of final steps", () => {
    const matrix = emptyLiveMatrix();
    applyLiveResult(
      matrix,
      event("history", 100, 110, [
        job("api", [
          [100, 1],
          [105, 2],
          [110, 3],
        ]),
      ]),
    );
    applyLiveResult(matrix, event("steps", 115, 115, [job("api", [[115, 4]]), job("db", [[115, 9]])]));
    expect(held(matrix)).toEqual({
      api: [
        [100, 1],
        [105, 2],
        [110, 3],
        [115, 4],
      ],
      db: [[115, 9]],
    });
    expect(matrix.lastStep).toBe(115);
  });

  it("replaces every step a correction covers: changed values, a series gone there, one appearing", () => {
    const matrix = emptyLiveMatrix();
    applyLiveResult(
      matrix,
      event("history", 100, 120, [
        job("api", [
          [100, 1],
          [105, 2],
          [110, 3],
          [115, 4],
          [120, 5],
        ]),
        job("db", [
          [110, 7],
          [115, 7],
        ]),
      ]),
    );
    // Late points changed 105…115: api's values there, db no longer has a point at 110 or 115, cache now has one.
    applyLiveResult(
      matrix,
      event("correction", 105, 115, [
        job("api", [
          [105, 20],
          [115, 40],
        ]),
        job("cache", [[110, 1]]),
      ]),
    );
    expect(held(matrix)).toEqual({
      api: [
        [100, 1],
        [105, 20],
        [115, 40],
        [120, 5],
      ],
      cache: [[110, 1]],
    });
    // A correction of steps before the last keeps the last step where it was.
    expect(matrix.lastStep).toBe(120);
  });

  it("takes a resumed history that repeats a step it holds without doubling it", () => {
    const matrix = emptyLiveMatrix();
    applyLiveResult(
      matrix,
      event("history", 100, 110, [
        job("api", [
          [100, 1],
          [105, 2],
          [110, 3],
        ]),
      ]),
    );
    // An SSE stream resumed at the earliest step of its subscriptions sends 110 again, then what followed.
    applyLiveResult(
      matrix,
      event("history", 110, 120, [
        job("api", [
          [110, 3],
          [115, 4],
          [120, 5],
        ]),
      ]),
    );
    expect(held(matrix)).toEqual({
      api: [
        [100, 1],
        [105, 2],
        [110, 3],
        [115, 4],
        [120, 5],
      ],
    });
  });

  it("an empty event over steps leaves no point there", () => {
    const matrix = emptyLiveMatrix();
    applyLiveResult(
      matrix,
      event("history", 100, 105, [
        job("api", [
          [100, 1],
          [105, 2],
        ]),
      ]),
    );
    applyLiveResult(matrix, event("correction", 100, 105, []));
    expect(matrix.series.size).toBe(0);
    expect(matrix.lastStep).toBe(105);
  });

  it("is trimmed to the panel's window, dropping series with nothing left in it", () => {
    const matrix = emptyLiveMatrix();
    applyLiveResult(
      matrix,
      event("history", 100, 120, [
        job("api", [
          [100, 1],
          [110, 2],
          [120, 3],
        ]),
        job("db", [[100, 5]]),
      ]),
    );
    trimLiveMatrix(matrix, 110);
    expect(held(matrix)).toEqual({
      api: [
        [110, 2],
        [120, 3],
      ],
    });
  });

  it("answers as query_range, or as an instant query at its last step (series without a point there absent)", () => {
    const matrix = emptyLiveMatrix();
    applyLiveResult(
      matrix,
      event("history", 100, 110, [
        job("api", [
          [100, 1],
          [110, 2],
        ]),
        job("gone", [[100, 8]]),
      ]),
    );
    expect(liveMatrixData(matrix).result.map((one) => one.metric.job)).toEqual(["api", "gone"]);
    expect(liveMatrixData(matrix, true)).toEqual({
      resultType: "matrix",
      result: [{ metric: { job: "api" }, values: [[110, "2"]] }],
    });
  });
});
