import type { Context } from "hono";
import type { TokenKind } from "../auth/tokens.ts";
import { checkBoard } from "../board/name.ts";
import type { Env } from "../env.ts";
import { authorize } from "../http/credentials.ts";

/** The board of the path, once the request's credential is one of `kinds` for it. */
export async function authorizeBoard(c: Context<{ Bindings: Env }>, kinds: readonly TokenKind[]) {
  const name = checkBoard(c.req.param("board") ?? "");
  const claims = await authorize(c.req.raw, c.env, kinds, name);
  return { name, admin: claims.kind === "admin" };
}
