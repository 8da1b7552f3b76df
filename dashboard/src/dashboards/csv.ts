import type { PanelSeries } from "./panel-series.ts";

/**
 * A panel's data as a table and as CSV (RFC 4180): a row per time, a column per series, as Grafana's "series
 * joined by time" shows it; a time a series lacks is an empty cell. No DOM.
 */

export interface DataTable {
  columns: string[];
  rows: Array<Array<number | null>>;
}

/** Rows by time (the first column, ms), one column per series. */
export function joinByTime(series: readonly PanelSeries[]): DataTable {
  const times = [...new Set(series.flatMap((one) => one.points.map((point) => point.x)))].sort(
    (a, b) => a - b,
  );
  const index = new Map(times.map((time, row) => [time, row]));
  const rows = times.map((time) => [time, ...series.map(() => null as number | null)]);
  series.forEach((one, column) => {
    for (const { x, y } of one.points) rows[index.get(x)!]![column + 1] = y;
  });
  return { columns: ["Time", ...series.map((one) => one.name)], rows };
}

const quote = (cell: string) => (/[",\r\n]/.test(cell) ? `"${cell.replaceAll('"', '""')}"` : cell);

/** The table as CSV: times in ISO 8601 (UTC), values as JavaScript writes them (NaN, Infinity, -Infinity). */
export function toCsv(table: DataTable): string {
  const lines = [table.columns.map(quote).join(",")];
  for (const [time, ...values] of table.rows)
    lines.push(
      [new Date(time!).toISOString(), ...values.map((v) => (v === null ? "" : String(v)))].join(","),
    );
  return `${lines.join("\r\n")}\r\n`;
}
