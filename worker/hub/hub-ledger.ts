/**
 * Counts the rows a hub writes (its shard registry and relay pool), so the board's stats include every table. The
 * count is one row of the hub's SQLite, updated in the same statement batch as each change it counts.
 */
export class HubLedger {
  private readonly sql: SqlStorage;

  constructor(sql: SqlStorage) {
    this.sql = sql;
    sql.exec(
      "CREATE TABLE IF NOT EXISTS ledger (id INTEGER PRIMARY KEY CHECK (id = 0), rows_written INTEGER NOT NULL)",
    );
    // The first insert counts itself; later ones change nothing and write no row.
    sql.exec("INSERT OR IGNORE INTO ledger (id, rows_written) VALUES (0, 1)");
  }

  /** Runs a change that wrote rows (per its cursor) and records them, plus the ledger row itself. */
  record(change: () => SqlStorageCursor<Record<string, SqlStorageValue>>): void {
    const written = change().rowsWritten;
    if (written > 0)
      this.sql.exec("UPDATE ledger SET rows_written = rows_written + ? WHERE id = 0", written + 1);
  }

  get rowsWritten(): number {
    return this.sql.exec<{ n: number }>("SELECT rows_written AS n FROM ledger WHERE id = 0").one().n;
  }
}
