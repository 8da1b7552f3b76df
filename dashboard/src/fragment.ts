import { BOARD_PATTERN } from "../../worker/auth/tokens.ts";
import { ALL_SERIES, parseSelector } from "../../worker/protocol/index.ts";

export type DashboardTarget =
  | { ok: true; board: string; token: string; selectors: string[] }
  | { ok: false; problem: string };

/** The kind a token claims (`viewer`, `admin`, …), read without checking it (the board does), or null. */
export function tokenKind(token: string): string | null {
  try {
    const claims = JSON.parse(atob(token.split(".")[1]!.replaceAll("-", "+").replaceAll("_", "/")));
    return typeof claims.kind === "string" ? claims.kind : null;
  } catch {
    return null;
  }
}

/**
 * Reads `#board=<board>&token=<viewer token>`, and optional `&series=<selector>` (repeatable) to watch part of a
 * large board. The token sits in the fragment because browsers never send fragments to the server, so it stays out
 * of access logs.
 */
export function parseFragment(hash: string): DashboardTarget {
  const params = new URLSearchParams(hash.replace(/^#/, ""));
  const board = params.get("board");
  const token = params.get("token");
  const selectors = params.getAll("series");
  if (!board || !token) {
    return {
      ok: false,
      problem: "Open this page as /#board=<board>&token=<viewer token> (npm run dev prints one).",
    };
  }
  if (!BOARD_PATTERN.test(board))
    return { ok: false, problem: `Board "${board}" is not a valid board name.` };
  for (const selector of selectors) {
    const parsed = parseSelector(selector);
    if ("error" in parsed) return { ok: false, problem: `series=${selector}: ${parsed.error}` };
  }
  return { ok: true, board, token, selectors: selectors.length > 0 ? selectors : [ALL_SERIES] };
}
