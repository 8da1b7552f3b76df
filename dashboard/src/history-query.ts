import {
  type JsonHistoryResult,
  MAX_QUERY_SERIES,
  type SeriesDef,
  seriesName,
} from "../../worker/protocol/index.ts";
import { fetchJson } from "./api.ts";
import { boardUrl } from "./live-url.ts";
import type { TimeRange } from "./time-range.ts";

/** A history answer as the dashboard uses it (NaN and ±Inf as text, as JSON carries them). */
export type HistoryAnswer = JsonHistoryResult;

/** Query URLs for a range's history of `series`, at most MAX_QUERY_SERIES per URL. */
export function historyQueryUrls(
  page: string | URL,
  board: string,
  series: readonly SeriesDef[],
  range: TimeRange,
): string[] {
  const urls: string[] = [];
  for (let start = 0; start < series.length; start += MAX_QUERY_SERIES) {
    const url = boardUrl(page, board, "query");
    url.searchParams.set(
      "series",
      series
        .slice(start, start + MAX_QUERY_SERIES)
        .map(seriesName)
        .join(","),
    );
    url.searchParams.set("from", `-${range.id}`);
    url.searchParams.set("step", String(range.stepMs));
    urls.push(url.toString());
  }
  return urls;
}

/** Loads a range's history of `series`, in as many requests as the series need. */
export async function fetchHistory(
  page: string | URL,
  board: string,
  token: string,
  series: readonly SeriesDef[],
  range: TimeRange,
  signal: AbortSignal,
): Promise<HistoryAnswer[]> {
  const urls = historyQueryUrls(page, board, series, range);
  const answers = await Promise.all(urls.map((url) => fetchJson<HistoryAnswer>(url, token, { signal })));
  for (const answer of answers) {
    if (!Array.isArray(answer.positions)) {
      throw new Error("history answer lacks the stream position it includes");
    }
  }
  return answers;
}
