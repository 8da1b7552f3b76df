/** The part of `SqlStorage` the board uses; `MeteredSql` provides it with counters. */
export interface Sql {
  exec<T extends Record<string, SqlStorageValue>>(query: string, ...bindings: unknown[]): SqlStorageCursor<T>;
  readonly databaseSize: number;
}

/**
 * `ctx.storage.sql` with running totals of the rows every statement read and wrote, taken from the cursors' own
 * counters (what Cloudflare bills). A cursor's counters grow while it is read, so they are added up in a microtask:
 * after the synchronous code that consumed it, and before the object's next await.
 */
export class MeteredSql implements Sql {
  rowsRead = 0;
  rowsWritten = 0;
  private readonly sql: SqlStorage;
  private readonly pending: SqlStorageCursor<Record<string, SqlStorageValue>>[] = [];

  constructor(sql: SqlStorage) {
    this.sql = sql;
  }

  exec<T extends Record<string, SqlStorageValue>>(
    query: string,
    ...bindings: unknown[]
  ): SqlStorageCursor<T> {
    const cursor = this.sql.exec<T>(query, ...bindings);
    if (this.pending.length === 0) queueMicrotask(() => this.settle());
    this.pending.push(cursor);
    return cursor;
  }

  get databaseSize(): number {
    return this.sql.databaseSize;
  }

  /** Adds the counters of the cursors run so far; call before reading the totals synchronously. */
  settle(): void {
    for (const cursor of this.pending) {
      this.rowsRead += cursor.rowsRead;
      this.rowsWritten += cursor.rowsWritten;
    }
    this.pending.length = 0;
  }
}
