import { BOARD_PATTERN } from "../auth/tokens.ts";
import { ApiError } from "../http/errors.ts";

/** The `:board` path segment, checked. */
export function checkBoard(board: string): string {
  if (!BOARD_PATTERN.test(board))
    throw new ApiError(400, "invalid_board", `board must match ${BOARD_PATTERN.source}`, "board");
  return board;
}
