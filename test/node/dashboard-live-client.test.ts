import { describe, expect, it } from "vitest";
import { LiveClient, type LiveListener } from "../../dashboard/src/live-client.ts";
import {
  type DataFrame,
  encodeFrame,
  type SeriesState,
  type ServerMessage,
  type StreamPosition,
} from "../../worker/protocol/index.ts";

type Call =
  | ["series", SeriesState[]]
  | ["frame", number, number, Array<[number, number[], number[]]>]
  | ["reset"]
  | ["problem", string]
  | ["resync", string];

function recordingClient(): { client: LiveClient; calls: Call[] } {
  const calls: Call[] = [];
  const listener: LiveListener = {
    series: (series) => calls.push(["series", [...series]]),
    frame: (f) =>
      calls.push(["frame", f.fromSeq, f.toSeq, f.groups.map((g) => [g.seriesId, [...g.ts], [...g.values]])]),
    reset: () => calls.push(["reset"]),
    problem: (text) => calls.push(["problem", text]),
  };
  return { client: new LiveClient(listener, (reason) => calls.push(["resync", reason])), calls };
}

const send = (client: LiveClient, message: ServerMessage) => client.receive(JSON.stringify(message));
const frame = (client: LiveClient, data: Omit<DataFrame, "sid"> & { sid?: number }) =>
  client.receive(encodeFrame({ sid: 0, ...data }).slice().buffer);

/** Shard 0 at `seq` of `epoch` (and more shards when given). */
const at = (epoch: number, seq: number, ...more: StreamPosition): StreamPosition => [
  { sid: 0, epoch, seq },
  ...more,
];

const hello = (positions: StreamPosition, resumed = false): ServerMessage => ({
  type: "hello",
  v: 2,
  board: "demo",
  tickMs: 100,
  resumed,
  positions,
});
const temp = { id: 0, device: "sensor-1", metric: "temp_c" };
const cpu = { id: 1, device: "sensor-1", metric: "cpu_pct" };
const fan = { id: 65_536, device: "sensor-2", metric: "fan_rpm" };
const point = (seriesId = 0) => [{ seriesId, ts: [1], values: [1] }];

describe("LiveClient", () => {
  it("announces the snapshot's series with their last values and takes its positions", () => {
    const { client, calls } = recordingClient();
    send(client, hello(at(7, 3)));
    send(client, {
      type: "snapshot",
      series: [{ ...temp, last: { ts: 1000, value: 21.5 } }, cpu],
      positions: at(7, 3),
    });
    expect(calls).toEqual([["series", [{ ...temp, last: { ts: 1000, value: 21.5 } }, cpu]]]);
    expect(client.resumePosition).toEqual(at(7, 3));
    expect(client.seriesDef(1)).toEqual(cpu);
  });

  it("hands a frame's points to the listener with its seq range and advances its shard's position", () => {
    const { client, calls } = recordingClient();
    send(client, { type: "snapshot", series: [temp, cpu], positions: at(7, 3) });
    calls.length = 0;
    frame(client, {
      epoch: 7,
      fromSeq: 4,
      toSeq: 6,
      groups: [
        { seriesId: 0, ts: [2000, 2250], values: [21.6, 21.7] },
        { seriesId: 1, ts: [2000], values: [12.5] },
      ],
    });
    expect(calls).toEqual([
      [
        "frame",
        4,
        6,
        [
          [0, [2000, 2250], [21.6, 21.7]],
          [1, [2000], [12.5]],
        ],
      ],
    ]);
    expect(client.resumePosition).toEqual(at(7, 6));
  });

  it("keeps one position per shard and checks each frame against its own shard's", () => {
    const { client, calls } = recordingClient();
    send(client, {
      type: "snapshot",
      series: [temp, fan],
      positions: at(7, 3, { sid: 1, epoch: 9, seq: 40 }),
    });
    frame(client, { sid: 1, epoch: 9, fromSeq: 41, toSeq: 42, groups: point(65_536) });
    frame(client, { sid: 0, epoch: 7, fromSeq: 4, toSeq: 4, groups: point(0) });
    frame(client, { sid: 1, epoch: 9, fromSeq: 41, toSeq: 42, groups: point(65_536) });
    expect(calls.filter((call) => call[0] === "frame").map((call) => [call[1], call[2]])).toEqual([
      [41, 42],
      [4, 4],
    ]);
    expect(client.resumePosition).toEqual(at(7, 4, { sid: 1, epoch: 9, seq: 42 }));
  });

  it("ignores a frame it has already applied (toSeq at or below its position)", () => {
    const { client, calls } = recordingClient();
    send(client, { type: "snapshot", series: [temp], positions: at(7, 3) });
    frame(client, { epoch: 7, fromSeq: 4, toSeq: 5, groups: point() });
    calls.length = 0;
    frame(client, { epoch: 7, fromSeq: 4, toSeq: 5, groups: point() });
    frame(client, { epoch: 7, fromSeq: 2, toSeq: 3, groups: point() });
    expect(calls).toEqual([]);
    expect(client.resumePosition).toEqual(at(7, 5));
  });

  it("asks to resync on a frame that overlaps or skips its position, and ignores frames until the next hello", () => {
    for (const [fromSeq, toSeq] of [
      [3, 5],
      [6, 6],
    ]) {
      const { client, calls } = recordingClient();
      send(client, { type: "snapshot", series: [temp], positions: at(7, 4) });
      calls.length = 0;
      frame(client, { epoch: 7, fromSeq: fromSeq!, toSeq: toSeq!, groups: point() });
      frame(client, { epoch: 7, fromSeq: 5, toSeq: 5, groups: point() });
      expect(calls).toEqual([["resync", `shard 0: frame ${fromSeq}..${toSeq} does not follow 4`]]);
      expect(client.resumePosition).toEqual(at(7, 4));
      send(client, hello(at(7, 9), true));
      frame(client, { epoch: 7, fromSeq: 5, toSeq: 9, groups: point() });
      expect(client.resumePosition).toEqual(at(7, 9));
    }
  });

  it("keeps its position through a resumed hello, so replayed frames are applied", () => {
    const { client, calls } = recordingClient();
    send(client, { type: "snapshot", series: [temp], positions: at(7, 3) });
    calls.length = 0;
    send(client, hello(at(7, 9), true));
    send(client, { type: "series", series: [temp] });
    frame(client, { epoch: 7, fromSeq: 4, toSeq: 9, groups: [{ seriesId: 0, ts: [5000], values: [22] }] });
    expect(calls).toEqual([
      ["series", [temp]],
      ["frame", 4, 9, [[0, [5000], [22]]]],
    ]);
    expect(client.resumePosition).toEqual(at(7, 9));
  });

  it("clears everything on reset and starts over from the following snapshot", () => {
    const { client, calls } = recordingClient();
    send(client, { type: "snapshot", series: [temp], positions: at(7, 3) });
    calls.length = 0;
    send(client, { type: "reset", reason: "resume point is no longer available", positions: at(8, 0) });
    expect(calls).toEqual([["reset"]]);
    expect(client.resumePosition).toBeNull();
    expect(client.seriesDef(0)).toBeUndefined();
    send(client, { type: "snapshot", series: [cpu], positions: at(8, 0) });
    expect(client.resumePosition).toEqual(at(8, 0));
  });

  it("treats a snapshot or frame where a shard's epoch changed as a reset", () => {
    const { client, calls } = recordingClient();
    send(client, { type: "snapshot", series: [temp], positions: at(7, 3) });
    send(client, { type: "snapshot", series: [cpu], positions: at(8, 1) });
    frame(client, { epoch: 9, fromSeq: 1, toSeq: 1, groups: [] });
    expect(calls.map((call) => call[0])).toEqual(["series", "reset", "series", "reset"]);
    expect(client.resumePosition).toEqual(at(9, 1));
  });

  it("takes a shard it did not know (the layout grew) from its first frame", () => {
    const { client } = recordingClient();
    send(client, { type: "snapshot", series: [temp], positions: at(7, 3) });
    frame(client, { sid: 3, epoch: 5, fromSeq: 12, toSeq: 12, groups: [] });
    expect(client.resumePosition).toEqual(at(7, 3, { sid: 3, epoch: 5, seq: 12 }));
  });

  it("adds series announced later and leaves out the points of series never announced", () => {
    const { client, calls } = recordingClient();
    send(client, { type: "snapshot", series: [], positions: at(7, 0) });
    send(client, { type: "series", series: [temp] });
    frame(client, {
      epoch: 7,
      fromSeq: 1,
      toSeq: 1,
      groups: [
        { seriesId: 0, ts: [1], values: [1] },
        { seriesId: 5, ts: [1], values: [1] },
      ],
    });
    expect(calls).toEqual([
      ["series", []],
      ["series", [temp]],
      ["problem", "frame has points for unannounced series 5"],
      ["frame", 1, 1, [[0, [1], [1]]]],
    ]);
  });

  it("passes on server errors and survives pong, garbage text and malformed frames", () => {
    const { client, calls } = recordingClient();
    client.receive("pong");
    client.receive("{not json");
    client.receive(new Uint8Array([1, 0, 0]));
    send(client, { type: "error", code: "bad_message", message: "nope" });
    expect(calls.map((call) => call[0])).toEqual(["problem", "problem", "problem"]);
    expect(calls[2]).toEqual(["problem", "server error bad_message: nope"]);
    expect(client.resumePosition).toBeNull();
  });
});

describe("LiveClient watching part of a board", () => {
  it("takes a frame after skipped seqs as it is: those batches held nothing it watches", () => {
    const calls: Call[] = [];
    const listener: LiveListener = {
      series: () => {},
      frame: (f) => calls.push(["frame", f.fromSeq, f.toSeq, []]),
      reset: () => calls.push(["reset"]),
      problem: (text) => calls.push(["problem", text]),
    };
    const client = new LiveClient(listener, (reason) => calls.push(["resync", reason]), false);
    send(client, { type: "snapshot", series: [temp], positions: at(7, 3) });
    frame(client, { epoch: 7, fromSeq: 9, toSeq: 9, groups: point() });
    frame(client, { epoch: 7, fromSeq: 8, toSeq: 10, groups: point() });
    expect(calls).toEqual([
      ["frame", 9, 9, []],
      ["resync", "shard 0: frame 8..10 does not follow 9"],
    ]);
  });
});
