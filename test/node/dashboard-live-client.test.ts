import { describe, expect, it } from "vitest";
import { LiveClient, type LiveListener } from "../../dashboard/src/live-client.ts";
import {
  type DataFrame,
  encodeFrame,
  type SeriesState,
  type ServerMessage,
} from "../../worker/protocol/index.ts";

type Call =
  | ["series", SeriesState[]]
  | ["frame", number, number, Array<[number, number[], number[]]>]
  | ["reset"]
  | ["problem", string];

function recordingClient(): { client: LiveClient; calls: Call[] } {
  const calls: Call[] = [];
  const listener: LiveListener = {
    series: (series) => calls.push(["series", [...series]]),
    frame: (f) =>
      calls.push(["frame", f.fromSeq, f.toSeq, f.groups.map((g) => [g.seriesId, [...g.ts], [...g.values]])]),
    reset: () => calls.push(["reset"]),
    problem: (text) => calls.push(["problem", text]),
  };
  return { client: new LiveClient(listener), calls };
}

const send = (client: LiveClient, message: ServerMessage) => client.receive(JSON.stringify(message));
const frame = (client: LiveClient, data: DataFrame) => client.receive(encodeFrame(data).slice().buffer);

const hello = (epoch: number, seq: number, resumed = false): ServerMessage => ({
  type: "hello",
  v: 1,
  board: "demo",
  tickMs: 100,
  resumed,
  epoch,
  seq,
});
const temp = { id: 0, device: "sensor-1", metric: "temp_c" };
const cpu = { id: 1, device: "sensor-1", metric: "cpu_pct" };

describe("LiveClient", () => {
  it("announces the snapshot's series with their last values and takes its position", () => {
    const { client, calls } = recordingClient();
    send(client, hello(7, 3));
    send(client, {
      type: "snapshot",
      series: [{ ...temp, last: { ts: 1000, value: 21.5 } }, cpu],
      epoch: 7,
      seq: 3,
    });
    expect(calls).toEqual([["series", [{ ...temp, last: { ts: 1000, value: 21.5 } }, cpu]]]);
    expect(client.resumePosition).toEqual({ epoch: 7, seq: 3 });
    expect(client.seriesDef(1)).toEqual(cpu);
  });

  it("hands a frame's points to the listener with its seq range and advances the position to toSeq", () => {
    const { client, calls } = recordingClient();
    send(client, { type: "snapshot", series: [temp, cpu], epoch: 7, seq: 3 });
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
    expect(client.resumePosition).toEqual({ epoch: 7, seq: 6 });
  });

  it("ignores a frame it has already applied (toSeq at or below its position)", () => {
    const { client, calls } = recordingClient();
    send(client, { type: "snapshot", series: [temp], epoch: 7, seq: 3 });
    frame(client, { epoch: 7, fromSeq: 4, toSeq: 5, groups: [{ seriesId: 0, ts: [1], values: [1] }] });
    calls.length = 0;
    frame(client, { epoch: 7, fromSeq: 4, toSeq: 5, groups: [{ seriesId: 0, ts: [1], values: [1] }] });
    frame(client, { epoch: 7, fromSeq: 2, toSeq: 3, groups: [{ seriesId: 0, ts: [0], values: [0] }] });
    expect(calls).toEqual([]);
    expect(client.resumePosition).toEqual({ epoch: 7, seq: 5 });
  });

  it("keeps its position through a resumed hello, so replayed frames are applied", () => {
    const { client, calls } = recordingClient();
    send(client, { type: "snapshot", series: [temp], epoch: 7, seq: 3 });
    calls.length = 0;
    send(client, hello(7, 9, true));
    send(client, { type: "series", series: [temp] });
    frame(client, { epoch: 7, fromSeq: 4, toSeq: 9, groups: [{ seriesId: 0, ts: [5000], values: [22] }] });
    expect(calls).toEqual([
      ["series", [temp]],
      ["frame", 4, 9, [[0, [5000], [22]]]],
    ]);
    expect(client.resumePosition).toEqual({ epoch: 7, seq: 9 });
  });

  it("clears everything on reset and starts over from the following snapshot", () => {
    const { client, calls } = recordingClient();
    send(client, { type: "snapshot", series: [temp], epoch: 7, seq: 3 });
    calls.length = 0;
    send(client, { type: "reset", reason: "resume point is no longer available", epoch: 8, seq: 0 });
    expect(calls).toEqual([["reset"]]);
    expect(client.resumePosition).toBeNull();
    expect(client.seriesDef(0)).toBeUndefined();
    send(client, { type: "snapshot", series: [cpu], epoch: 8, seq: 0 });
    expect(client.resumePosition).toEqual({ epoch: 8, seq: 0 });
  });

  it("treats a snapshot or frame from another epoch as a reset", () => {
    const { client, calls } = recordingClient();
    send(client, { type: "snapshot", series: [temp], epoch: 7, seq: 3 });
    send(client, { type: "snapshot", series: [cpu], epoch: 8, seq: 1 });
    frame(client, { epoch: 9, fromSeq: 1, toSeq: 1, groups: [] });
    expect(calls.map((call) => call[0])).toEqual(["series", "reset", "series", "reset"]);
    expect(client.resumePosition).toEqual({ epoch: 9, seq: 1 });
  });

  it("adds series announced later and leaves out the points of series never announced", () => {
    const { client, calls } = recordingClient();
    send(client, { type: "snapshot", series: [], epoch: 7, seq: 0 });
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
