import type { HubLedger } from "./hub-ledger.ts";

/**
 * The shards a hub knows hold data of its board: every shard of each layout the hub has run with, and every shard
 * that told the hub it exists (one created under a layout the hub never ran with). Kept in the hub's SQLite: a row
 * per shard, once, so after the shard count changes the older shards are still read.
 */
export class ShardRegistry {
  private readonly sql: SqlStorage;
  private readonly ledger: HubLedger;
  private readonly known = new Set<number>();

  constructor(sql: SqlStorage, ledger: HubLedger, currentLayout: number[]) {
    this.sql = sql;
    this.ledger = ledger;
    sql.exec("CREATE TABLE IF NOT EXISTS shards (sid INTEGER PRIMARY KEY)");
    for (const row of sql.exec<{ sid: number }>("SELECT sid FROM shards")) this.known.add(row.sid);
    for (const sid of currentLayout) this.add(sid);
  }

  /** Records a shard (a row the first time only). */
  add(sid: number): void {
    if (this.known.has(sid)) return;
    this.known.add(sid);
    this.ledger.record(() => this.sql.exec("INSERT OR IGNORE INTO shards (sid) VALUES (?)", sid));
  }

  all(): number[] {
    return [...this.known].sort((a, b) => a - b);
  }
}
