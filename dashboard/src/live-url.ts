import { ALL_SERIES, type StreamPosition } from "../../worker/protocol/index.ts";

/** The board's live socket URL on the page's own origin, asking to resume from `resume` when given. */
export function liveSocketUrl(
  page: string | URL,
  board: string,
  resume: StreamPosition | null,
  selectors: readonly string[] = [ALL_SERIES],
): string {
  const url = new URL(`/api/v1/boards/${encodeURIComponent(board)}/live`, page);
  url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
  for (const selector of selectors) url.searchParams.append("series", selector);
  if (resume) {
    url.searchParams.set("epoch", String(resume.epoch));
    url.searchParams.set("seq", String(resume.seq));
  }
  return url.toString();
}
