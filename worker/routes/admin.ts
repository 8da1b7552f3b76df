import { type Context, Hono } from "hono";
import * as v from "valibot";
import { DEVICE_PATTERN, signToken } from "../auth/tokens.ts";
import { checkBoard } from "../board/name.ts";
import { LimitsPatch, type PrincipalKind, principal } from "../board/policy.ts";
import { hubStub } from "../board/stubs.ts";
import type { Env } from "../env.ts";
import { authorize } from "../http/credentials.ts";
import { adminBodyLimit, jsonObject } from "../http/json-body.ts";
import { methodNotAllowed } from "../http/methods.ts";
import { validate } from "../http/schema.ts";

type AdminContext = { Bindings: Env; Variables: { board: string } };

const Name = v.pipe(v.string(), v.regex(DEVICE_PATTERN));

/** How long a viewer token minted for a share link may live: a minute to 30 days. */
export const VIEWER_TOKEN_TTL = { minSeconds: 60, maxSeconds: 30 * 86_400 } as const;
const ViewerTokenRequest = v.strictObject({
  ttlSeconds: v.pipe(
    v.number(),
    v.integer(),
    v.minValue(VIEWER_TOKEN_TTL.minSeconds),
    v.maxValue(VIEWER_TOKEN_TTL.maxSeconds),
  ),
});

/** Revokes or restores a device's or a gateway's tokens, on every shard before answering. */
function revocation(kind: PrincipalKind, revoked: boolean) {
  return async (c: Context<AdminContext>) => {
    const name = validate(Name, c.req.param(kind), `invalid_${kind}`);
    const policy = await hubStub(c.env, c.get("board")).setRevoked(principal(kind, name), revoked);
    return c.json(policy);
  };
}

/**
 * `/boards/:board/admin/…`, for the board's admin tokens: its devices, revoking and restoring credentials, and its
 * limits. Changes reach every shard of the board (asleep or not) before the answer.
 */
export const adminRoutes = new Hono<AdminContext>()
  .use("/boards/:board/admin/*", async (c, next) => {
    const board = checkBoard(c.req.param("board") ?? "");
    await authorize(c.req.raw, c.env, ["admin"], board);
    c.set("board", board);
    await next();
  })
  .get("/boards/:board/admin/devices", async (c) =>
    c.json({ devices: await hubStub(c.env, c.get("board")).devices() }),
  )
  .all("/boards/:board/admin/devices", methodNotAllowed("GET"))
  .post("/boards/:board/admin/devices/:device/revoke", revocation("device", true))
  .post("/boards/:board/admin/devices/:device/restore", revocation("device", false))
  .post("/boards/:board/admin/gateways/:gateway/revoke", revocation("gateway", true))
  .post("/boards/:board/admin/gateways/:gateway/restore", revocation("gateway", false))
  .all("/boards/:board/admin/:kind/:name/:action", methodNotAllowed("POST"))
  .get("/boards/:board/admin/limits", async (c) => c.json(await hubStub(c.env, c.get("board")).policy()))
  .put("/boards/:board/admin/limits", adminBodyLimit(), async (c) => {
    const patch = validate(LimitsPatch, await jsonObject(c, "limits"));
    return c.json(await hubStub(c.env, c.get("board")).setLimits(patch));
  })
  .all("/boards/:board/admin/limits", methodNotAllowed("GET", "PUT"))
  // A read-only credential for a share link: stateless like every token, so it is withdrawn only by its expiry
  // (or by rotating the secret).
  .post("/boards/:board/admin/viewer-tokens", adminBodyLimit(), async (c) => {
    const { ttlSeconds } = validate(ViewerTokenRequest, await jsonObject(c, "a viewer token request"));
    const iat = Math.floor(Date.now() / 1000);
    const exp = iat + ttlSeconds;
    const token = await signToken(c.env.EDGEPULSE_SECRET, {
      kind: "viewer",
      board: c.get("board"),
      iat,
      exp,
    });
    return c.json({ token, expiresAt: exp * 1000 }, 201);
  })
  .all("/boards/:board/admin/viewer-tokens", methodNotAllowed("POST"));
