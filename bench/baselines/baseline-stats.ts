/** What a baseline answers at `/bench/<name>/:board/stats`: the counters the real board's stats carry. */
export interface BaselineStats {
  rowsWritten: number;
  rowsRead: number;
  requests: number;
  points: number;
}

/** Cumulative counters of one baseline object, kept in memory (the benchmark never lets them sleep). */
export class BaselineMeter {
  readonly stats: BaselineStats = { rowsWritten: 0, rowsRead: 0, requests: 0, points: 0 };

  /** Adds a consumed SQL cursor's counters. */
  add(cursor: { rowsWritten: number; rowsRead: number }): void {
    this.stats.rowsWritten += cursor.rowsWritten;
    this.stats.rowsRead += cursor.rowsRead;
  }

  request(points: number): void {
    this.stats.requests++;
    this.stats.points += points;
  }
}
