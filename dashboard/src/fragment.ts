import { BOARD_PATTERN } from "../../worker/auth/tokens.ts";

export type DashboardTarget = { ok: true; board: string; token: string } | { ok: false; problem: string };

/**
 * Reads `#board=<board>&token=<viewer token>`. The token sits in the fragment because browsers never send
 * fragments to the server, so it stays out of access logs.
 */
export function parseFragment(hash: string): DashboardTarget {
  const params = new URLSearchParams(hash.replace(/^#/, ""));
  const board = params.get("board");
  const token = params.get("token");
  if (!board || !token) {
    return {
      ok: false,
      problem: "Open this page as /#board=<board>&token=<viewer token> (npm run dev prints one).",
    };
  }
  if (!BOARD_PATTERN.test(board))
    return { ok: false, problem: `Board "${board}" is not a valid board name.` };
  return { ok: true, board, token };
}
