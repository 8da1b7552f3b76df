import { describe, expect, it } from "vitest";
import { answer, freshBoard, ingest, request, token } from "./helpers.ts";

const gatewayToken = (board: string) => token("gateway", board, "collector");

describe("gateway tokens", () => {
  it("post for the device a JSON request names, each device online on its own", async () => {
    const board = freshBoard();
    const gateway = await gatewayToken(board);
    expect((await ingest(gateway, { device: "host-a", metrics: { load: 1 } })).status).toBe(202);
    expect((await ingest(gateway, { device: "host-b", metrics: { load: 2 } })).status).toBe(202);
    const viewer = await token("viewer", board);
    const { body } = await answer(
      request(`/api/v1/boards/${board}/series`, { headers: { authorization: `Bearer ${viewer}` } }),
    );
    expect(body.series.map((s: { device: string; online: boolean }) => [s.device, s.online])).toEqual([
      ["host-a", true],
      ["host-b", true],
    ]);
  });

  it("answer 400 when a gateway's JSON request names no device, or a bad one", async () => {
    const board = freshBoard();
    const gateway = await gatewayToken(board);
    const missing = await answer(ingest(gateway, { metrics: { load: 1 } }));
    expect(missing.status).toBe(400);
    expect(missing.body.error).toMatchObject({ code: "missing_device", path: "device" });
    const bad = await answer(ingest(gateway, { device: "a:b", metrics: { load: 1 } }));
    expect(bad.body.error).toMatchObject({ code: "invalid_device", path: "device" });
  });

  it("do not let a device token post as another device", async () => {
    const board = freshBoard();
    const device = await token("device", board, "me");
    const other = await answer(ingest(device, { device: "you", metrics: { load: 1 } }));
    expect(other.status).toBe(403);
    expect(other.body.error.code).toBe("wrong_device");
    expect((await ingest(device, { device: "me", metrics: { load: 1 } })).status).toBe(202);
  });

  it("are refused where a viewer reads, and a viewer token cannot post", async () => {
    const board = freshBoard();
    const gateway = await gatewayToken(board);
    const reading = await request(`/api/v1/boards/${board}/series`, {
      headers: { authorization: `Bearer ${gateway}` },
    });
    expect(reading.status).toBe(403);
    expect((await ingest(await token("viewer", board), { metrics: { m: 1 } })).status).toBe(403);
  });
});
