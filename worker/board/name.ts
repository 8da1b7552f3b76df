import { BOARD_PATTERN } from "../auth/tokens.ts";
import { ApiError } from "../http/errors.ts";

/** A board name as a request gives it (the `:board` path segment), checked: 400 `invalid_board`. */
export function checkBoard(board: string): string {
  if (!BOARD_PATTERN.test(board))
    throw new ApiError(400, "invalid_board", `board must match ${BOARD_PATTERN.source}`, "board");
  return board;
}
