import { randomBytes } from "node:crypto";
import { signToken, type TokenKind } from "../../worker/auth/tokens.ts";

/** A fresh secret for one run, passed to wrangler with `--var`. */
export function randomSecret(): string {
  return randomBytes(24).toString("hex");
}

/** Mints a token the way the app's token CLI does, valid for the whole run. */
export function mintToken(secret: string, kind: TokenKind, board: string, device?: string): Promise<string> {
  return signToken(secret, {
    kind,
    board,
    ...(device ? { device } : {}),
    iat: Math.floor(Date.now() / 1000),
  });
}
