import { describe, expect, it } from "vitest";
import { answer, evictBoard, freshBoard, ingest, request, token } from "./helpers.ts";

const m = (value: number) => ({ metrics: { m: value } });

function admin(board: string, path: string, init: RequestInit & { as?: string } = {}) {
  return (async () => {
    const credential = init.as ?? (await token("admin", board));
    return answer(
      request(`/api/v1/boards/${board}/admin${path}`, {
        ...init,
        headers: { authorization: `Bearer ${credential}`, "content-type": "application/json" },
      }),
    );
  })();
}

describe("admin API", () => {
  it("takes only the board's admin tokens", async () => {
    const board = freshBoard();
    expect((await admin(board, "/devices", { as: await token("viewer", board) })).body.error.code).toBe(
      "wrong_token_kind",
    );
    expect((await admin(board, "/devices", { as: await token("admin", freshBoard()) })).body.error.code).toBe(
      "wrong_board",
    );
    expect((await admin(board, "/devices")).status).toBe(200);
    expect((await admin(board, "/limits", { method: "POST" })).status).toBe(405);
  });

  it("lists devices with their series, revokes one device's tokens on every route, and restores them", async () => {
    const board = freshBoard();
    const one = await token("device", board, "one");
    const two = await token("device", board, "two");
    expect((await ingest(one, { metrics: { a: 1, b: 2 } })).status).toBe(202);
    expect((await ingest(two, m(1))).status).toBe(202);

    const revoked = await admin(board, "/devices/one/revoke", { method: "POST" });
    expect(revoked.status).toBe(200);
    expect(revoked.body.revoked).toEqual(["device:one"]);
    const refused = await answer(ingest(one, m(2)));
    expect(refused.status).toBe(403);
    expect(refused.body.error.code).toBe("revoked");
    const line = await answer(
      request(`/api/v2/write?bucket=${board}&precision=ms`, {
        method: "POST",
        headers: { authorization: `Token ${one}` },
        body: `m value=1 ${Date.now()}`,
      }),
    );
    expect(line.status).toBe(403);
    expect((await ingest(two, m(2))).status).toBe(202);

    const { body } = await admin(board, "/devices");
    expect(body.devices).toEqual([
      expect.objectContaining({ device: "one", series: 2, revoked: true }),
      expect.objectContaining({ device: "two", series: 1, revoked: false }),
    ]);
    const stats = await answer(
      request(`/api/v1/boards/${board}/stats`, {
        headers: { authorization: `Bearer ${await token("admin", board)}` },
      }),
    );
    expect(stats.body.ingest.rejected.revoked).toBe(2);

    expect((await admin(board, "/devices/one/restore", { method: "POST" })).body.revoked).toEqual([]);
    expect((await ingest(one, m(3))).status).toBe(202);
  });

  it("keeps a revocation through evictions, and applies it to a shard created after it", async () => {
    const board = freshBoard();
    const device = await token("device", board, "sleeper");
    expect((await ingest(device, m(1))).status).toBe(202);
    await evictBoard(board);
    await admin(board, "/devices/sleeper/revoke", { method: "POST" });
    await evictBoard(board);
    expect((await answer(ingest(device, m(2)))).body.error.code).toBe("revoked");

    const fresh = freshBoard();
    await admin(fresh, "/devices/early/revoke", { method: "POST" });
    expect((await answer(ingest(await token("device", fresh, "early"), m(1)))).body.error.code).toBe(
      "revoked",
    );
  });

  it("revokes a gateway's tokens by its name", async () => {
    const board = freshBoard();
    const gateway = await token("gateway", board, "gw");
    const post = () => ingest(gateway, { device: "d", metrics: { m: 1 } });
    expect((await post()).status).toBe(202);
    await admin(board, "/gateways/gw/revoke", { method: "POST" });
    expect((await answer(post())).body.error.code).toBe("revoked");
  });

  it("sets limits: series per device, series per board, viewers; null returns to the default", async () => {
    const board = freshBoard();
    const put = (body: unknown) => admin(board, "/limits", { method: "PUT", body: JSON.stringify(body) });
    const set = await put({ seriesPerDevice: 2, seriesPerBoard: 3 });
    expect(set.status).toBe(200);
    expect(set.body.limits).toMatchObject({ seriesPerDevice: 2, seriesPerBoard: 3 });
    expect(set.body.set).toEqual({ seriesPerDevice: 2, seriesPerBoard: 3 });

    const a = await token("device", board, "a");
    const tooMany = await answer(ingest(a, { metrics: { x: 1, y: 2, z: 3 } }));
    expect(tooMany.status).toBe(422);
    expect(tooMany.body.error.code).toBe("device_series_limit");
    expect((await ingest(a, { metrics: { x: 1, y: 2 } })).status).toBe(202);
    expect((await ingest(await token("device", board, "b"), m(1))).status).toBe(202);
    const full = await answer(ingest(await token("device", board, "c"), m(1)));
    expect(full.body.error.code).toBe("series_limit");

    const reset = await put({ seriesPerBoard: null, seriesPerDevice: null });
    expect(reset.body.set).toEqual({});
    expect((await ingest(await token("device", board, "c"), m(1))).status).toBe(202);
  });

  it("refuses unknown fields, bad values and bodies that are not JSON objects, naming the field", async () => {
    const board = freshBoard();
    const put = (body: string) => admin(board, "/limits", { method: "PUT", body });
    const unknown = await put(JSON.stringify({ seriesPerDevic: 2 }));
    expect(unknown.status).toBe(400);
    expect(unknown.body.error).toMatchObject({ code: "unknown_field", path: "seriesPerDevic" });
    const bad = await put(JSON.stringify({ viewers: 0 }));
    expect(bad.body.error).toMatchObject({ code: "invalid_field", path: "viewers" });
    expect((await put("[1]")).body.error.code).toBe("invalid_body");
    expect((await put("{")).body.error.code).toBe("invalid_json");
    expect((await put(JSON.stringify({ viewers: 1, pad: "x".repeat(5000) }))).status).toBe(413);
    expect((await admin(board, "/limits")).body.set).toEqual({});
  });

  it("mints read-only viewer tokens for share links, living as long as asked within a minute and 30 days", async () => {
    const board = freshBoard();
    const minted = await admin(board, "/viewer-tokens", {
      method: "POST",
      body: JSON.stringify({ ttlSeconds: 3600 }),
    });
    expect(minted.status).toBe(201);
    const claims = JSON.parse(
      atob(minted.body.token.split(".")[1].replaceAll("-", "+").replaceAll("_", "/")),
    );
    expect(claims).toMatchObject({ kind: "viewer", board });
    expect(claims.exp - claims.iat).toBe(3600);
    expect(minted.body.expiresAt).toBe(claims.exp * 1000);
    const read = await answer(
      request(`/api/v1/boards/${board}/dashboards`, {
        headers: { authorization: `Bearer ${minted.body.token}` },
      }),
    );
    expect(read.status).toBe(200);
    const write = await admin(board, "/viewer-tokens", {
      method: "POST",
      body: JSON.stringify({ ttlSeconds: 3600 }),
      as: minted.body.token,
    });
    expect(write.body.error.code).toBe("wrong_token_kind");
    for (const [body, path] of [
      [{ ttlSeconds: 59 }, "ttlSeconds"],
      [{ ttlSeconds: 30 * 86_400 + 1 }, "ttlSeconds"],
      [{ ttlSeconds: 1.5 }, "ttlSeconds"],
      [{}, "ttlSeconds"],
      [{ ttlSeconds: 60, kind: "admin" }, "kind"],
    ] as const) {
      const refused = await admin(board, "/viewer-tokens", { method: "POST", body: JSON.stringify(body) });
      expect(refused.status, JSON.stringify(body)).toBe(400);
      expect(refused.body.error.path).toBe(path);
    }
    expect((await admin(board, "/viewer-tokens")).status).toBe(405);
  });
});
