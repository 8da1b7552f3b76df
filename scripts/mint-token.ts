import { signToken } from "../worker/auth/tokens.ts";

/** Viewer tokens live this long unless told otherwise. */
export const VIEWER_TTL_SECONDS = 30 * 24 * 60 * 60;

export type MintRequest =
  | { kind: "device"; board: string; device: string; ttlSeconds?: number }
  | { kind: "gateway"; board: string; gateway: string; ttlSeconds?: number }
  | { kind: "viewer"; board: string; ttlSeconds?: number };

/** Signs a token issued at `now` (ms); viewer tokens expire after 30 days by default, others never. */
export function mintToken(secret: string, request: MintRequest, now = Date.now()): Promise<string> {
  const iat = Math.floor(now / 1000);
  const ttl = request.ttlSeconds ?? (request.kind === "viewer" ? VIEWER_TTL_SECONDS : undefined);
  return signToken(secret, {
    kind: request.kind,
    board: request.board,
    ...(request.kind === "device" ? { device: request.device } : {}),
    ...(request.kind === "gateway" ? { gateway: request.gateway } : {}),
    iat,
    ...(ttl !== undefined ? { exp: iat + ttl } : {}),
  });
}
