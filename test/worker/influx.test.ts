import { describe, expect, it } from "vitest";
import { answer, freshBoard, request, token } from "./helpers.ts";

async function gzip(text: string): Promise<Uint8Array> {
  const stream = new Blob([text]).stream().pipeThrough(new CompressionStream("gzip"));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

function write(path: string, credential: string, body: BodyInit, headers: Record<string, string> = {}) {
  return request(path, { method: "POST", headers: { authorization: credential, ...headers }, body });
}

async function series(board: string) {
  const viewer = await token("viewer", board);
  const { body } = await answer(
    request(`/api/v1/boards/${board}/series`, { headers: { authorization: `Bearer ${viewer}` } }),
  );
  return body.series as Array<{
    device: string;
    metric: string;
    labels?: object;
    last: { ts: number; value: number };
  }>;
}

describe("InfluxDB line protocol", () => {
  it("stores a v2 write as InfluxDB's clients send it and answers 204", async () => {
    const board = freshBoard();
    const device = await token("device", board, "edge-1");
    const ms = Date.now() - 5000;
    const lines = [
      `cpu,host=edge-1,cpu=cpu0 usage_user=12.5,usage_idle=80i ${ms}`,
      `temp,room=lab value=21.5,ok=true,status="fine" ${ms}`,
    ].join("\n");
    const response = await write(
      `/api/v2/write?org=any&bucket=${board}&precision=ms`,
      `Token ${device}`,
      lines,
    );
    expect(response.status).toBe(204);
    expect(await series(board)).toEqual([
      expect.objectContaining({
        device: "edge-1",
        metric: "cpu_usage_user",
        labels: { cpu: "cpu0" },
        last: { ts: ms, value: 12.5 },
      }),
      expect.objectContaining({
        metric: "cpu_usage_idle",
        labels: { cpu: "cpu0" },
        last: { ts: ms, value: 80 },
      }),
      expect.objectContaining({ metric: "temp", labels: { room: "lab" }, last: { ts: ms, value: 21.5 } }),
      expect.objectContaining({ metric: "temp_ok", last: { ts: ms, value: 1 } }),
    ]);
  });

  it("takes the v1 /write with db=, Bearer or Basic credentials, and precisions down to hours", async () => {
    const board = freshBoard();
    const device = await token("device", board, "d");
    const seconds = Math.floor(Date.now() / 1000) - 10;
    expect(
      (await write(`/write?db=${board}&precision=s`, `Bearer ${device}`, `m v=1 ${seconds}`)).status,
    ).toBe(204);
    const basic = `Basic ${btoa(`telegraf:${device}`)}`;
    const hours = Math.floor(Date.now() / 3_600_000);
    expect((await write(`/write?db=${board}&precision=h`, basic, `n v=2 ${hours}`)).status).toBe(204);
    const stored = await series(board);
    expect(stored.map((s) => [s.metric, s.last.ts])).toEqual([
      ["m_v", seconds * 1000],
      ["n_v", hours * 3_600_000],
    ]);
  });

  it("reads nanosecond timestamps by default, and a gzip body", async () => {
    const board = freshBoard();
    const device = await token("device", board, "d");
    const ns = `${Date.now() - 1000}123456`;
    const body = await gzip(`m v=3 ${ns}`);
    const response = await write(`/api/v2/write?bucket=${board}`, `Token ${device}`, body, {
      "content-encoding": "gzip",
    });
    expect(response.status).toBe(204);
    expect((await series(board))[0]?.last).toEqual({ ts: Number(ns.slice(0, -6)), value: 3 });
  });

  it("lets a gateway post for the host each line's tag names, and refuses a line without one", async () => {
    const board = freshBoard();
    const gateway = await token("gateway", board, "telegraf");
    const ok = await write(
      `/api/v2/write?bucket=${board}`,
      `Token ${gateway}`,
      "load,host=a v=1\nload,host=b.example:9 v=2",
    );
    expect(ok.status).toBe(204);
    expect((await series(board)).map((s) => s.device)).toEqual(["a", "b.example_9"]);
    const custom = await write(
      `/api/v2/write?bucket=${board}&device_tag=node`,
      `Token ${gateway}`,
      "load,node=c v=1",
    );
    expect(custom.status).toBe(204);
    const missing = await answer(
      write(`/api/v2/write?bucket=${board}`, `Token ${gateway}`, "load,host=a v=1\nload v=2"),
    );
    expect(missing).toEqual({
      status: 400,
      body: { code: "invalid", message: "line 2: a gateway's points need a host naming their device" },
    });
  });

  it("stores nothing from a body with a bad line, and names the line in InfluxDB's error shape", async () => {
    const board = freshBoard();
    const device = await token("device", board, "d");
    const v2 = await answer(
      write(`/api/v2/write?bucket=${board}`, `Token ${device}`, "ok v=1\nbad v=\nok v=2"),
    );
    expect(v2.status).toBe(400);
    expect(v2.body).toEqual({
      code: "invalid",
      message: expect.stringMatching(/^line 2: missing field value/),
    });
    const v1 = await answer(write(`/write?db=${board}`, `Token ${device}`, "bad"));
    expect(v1).toEqual({ status: 400, body: { error: expect.stringMatching(/^line 1: missing fields/) } });
    expect(await series(board)).toEqual([]);
  });

  it.each([
    ["", "Token nope", 401, "unauthorized"],
    ["&precision=fortnight", "", 400, "invalid"],
    ["-elsewhere", "", 403, "forbidden"],
  ])("answers ?bucket=<board>%s with %j as %i %s", async (suffix, credential, status, code) => {
    const board = freshBoard();
    const device = await token("device", board, "d");
    const { status: got, body } = await answer(
      write(`/api/v2/write?bucket=${board}${suffix}`, credential || `Token ${device}`, "m v=1"),
    );
    expect(got).toBe(status);
    expect(body.code).toBe(code);
  });

  it("answers 204 and stores nothing when every field is a string", async () => {
    const board = freshBoard();
    const device = await token("device", board, "d");
    expect((await write(`/api/v2/write?bucket=${board}`, `Token ${device}`, 'log msg="hello"')).status).toBe(
      204,
    );
    expect(await series(board)).toEqual([]);
  });

  it("answers 413 to a gzip bomb before inflating it all", async () => {
    const board = freshBoard();
    const device = await token("device", board, "d");
    const bomb = await gzip(`m v=1 ${"0".repeat(9 * 1024 * 1024)}`);
    const { status, body } = await answer(
      write(`/api/v2/write?bucket=${board}`, `Token ${device}`, bomb, { "content-encoding": "gzip" }),
    );
    expect(status).toBe(413);
    expect(body.code).toBe("request too large");
  });
});
