import { signToken } from "../worker/auth/tokens.ts";

/** Viewer tokens live this long unless told otherwise. */
export const VIEWER_TTL_SECONDS = 30 * 24 * 60 * 60;
/** Admin tokens too, shorter: they can revoke devices and change limits. */
export const ADMIN_TTL_SECONDS = 24 * 60 * 60;

const DEFAULT_TTL_SECONDS: Partial<Record<MintRequest["kind"], number>> = {
  viewer: VIEWER_TTL_SECONDS,
  admin: ADMIN_TTL_SECONDS,
};

export type MintRequest =
  | { kind: "device"; board: string; device: string; ttlSeconds?: number }
  | { kind: "gateway"; board: string; gateway: string; ttlSeconds?: number }
  | { kind: "viewer" | "admin"; board: string; ttlSeconds?: number };

/** Signs a token issued at `now` (ms); by default viewer tokens expire after 30 days, admin tokens after a day, others never. */
export function mintToken(secret: string, request: MintRequest, now = Date.now()): Promise<string> {
  const iat = Math.floor(now / 1000);
  const ttl = request.ttlSeconds ?? DEFAULT_TTL_SECONDS[request.kind];
  return signToken(secret, {
    kind: request.kind,
    board: request.board,
    ...(request.kind === "device" ? { device: request.device } : {}),
    ...(request.kind === "gateway" ? { gateway: request.gateway } : {}),
    iat,
    ...(ttl !== undefined ? { exp: iat + ttl } : {}),
  });
}
