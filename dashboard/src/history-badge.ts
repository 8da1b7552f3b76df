import { formatDuration } from "./format.ts";
import type { HistoryStatus } from "./history-sync.ts";

/** Shows what the cards hold: history loading, its bucket width once loaded, or when a failed load retries. */
export function showHistoryStatus(element: HTMLElement, status: HistoryStatus): void {
  element.dataset.state = status.state;
  if (status.state === "loading") element.textContent = `loading ${status.range.label} history…`;
  else if (status.state === "failed")
    element.textContent = `history unavailable, retrying in ${(status.retryInMs / 1000).toFixed(1)} s`;
  else element.textContent = `${formatDuration(status.stepMs)} buckets`;
}
