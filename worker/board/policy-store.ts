import type { AdminAlertRule } from "../protocol/alerts.ts";
import type { BoardLimits } from "../protocol/index.ts";
import type { Sql } from "../shard/metered-sql.ts";
import type { BoardPolicy } from "./policy.ts";

type Change = () => SqlStorageCursor<Record<string, SqlStorageValue>>;

/**
 * A board's policy in an object's SQLite (the hub's, and a copy in each shard): a row of limits, a row per revoked
 * credential and a row per alert rule, written only when an admin changes them and read once per wake.
 */
export class PolicyStore {
  private readonly sql: Sql;
  private readonly record: (change: Change) => void;
  private limitsSet: Partial<BoardLimits>;
  private readonly revokedSet: Set<string>;
  private readonly rules: Map<string, AdminAlertRule>;
  /** Counts the hub's changes: a shard takes a policy only if it is not older than the one it has. */
  private version: number;

  /** `record` runs each change (the hub counts its rows in its ledger; a shard's SQL counts its own). */
  constructor(sql: Sql, record: (change: Change) => void = (change) => void change()) {
    this.sql = sql;
    this.record = record;
    sql.exec(
      "CREATE TABLE IF NOT EXISTS policy (id INTEGER PRIMARY KEY CHECK (id = 0), limits TEXT NOT NULL)",
    );
    sql.exec("CREATE TABLE IF NOT EXISTS revoked (principal TEXT PRIMARY KEY, at INTEGER NOT NULL)");
    sql.exec("CREATE TABLE IF NOT EXISTS alert_rules (id TEXT PRIMARY KEY, rule TEXT NOT NULL)");
    sql.exec(
      "CREATE TABLE IF NOT EXISTS policy_version (id INTEGER PRIMARY KEY CHECK (id = 0), version INTEGER NOT NULL)",
    );
    this.version =
      sql.exec<{ version: number }>("SELECT version FROM policy_version WHERE id = 0").toArray()[0]
        ?.version ?? 0;
    const row = sql.exec<{ limits: string }>("SELECT limits FROM policy WHERE id = 0").toArray()[0];
    this.limitsSet = row ? (JSON.parse(row.limits) as Partial<BoardLimits>) : {};
    this.revokedSet = new Set(
      sql
        .exec<{ principal: string }>("SELECT principal FROM revoked")
        .toArray()
        .map((r) => r.principal),
    );
    this.rules = new Map(
      sql
        .exec<{ id: string; rule: string }>("SELECT id, rule FROM alert_rules")
        .toArray()
        .map((r) => [r.id, JSON.parse(r.rule) as AdminAlertRule]),
    );
  }

  get policy(): BoardPolicy {
    const alerts = [...this.rules.values()].sort(
      (a, b) => a.createdAt - b.createdAt || a.id.localeCompare(b.id),
    );
    return {
      limits: { ...this.limitsSet },
      revoked: [...this.revokedSet].sort(),
      alerts,
      version: this.version,
    };
  }

  isRevoked(principal: string): boolean {
    return this.revokedSet.has(principal);
  }

  setLimits(limits: Partial<BoardLimits>): void {
    this.limitsSet = { ...limits };
    const json = JSON.stringify(this.limitsSet);
    this.record(() => this.sql.exec("INSERT OR REPLACE INTO policy (id, limits) VALUES (0, ?)", json));
  }

  /** Revokes or restores a credential; false when it already was. */
  setRevoked(principal: string, revoked: boolean, now = Date.now()): boolean {
    if (this.revokedSet.has(principal) === revoked) return false;
    if (revoked) {
      this.revokedSet.add(principal);
      this.record(() => this.sql.exec("INSERT INTO revoked (principal, at) VALUES (?, ?)", principal, now));
    } else {
      this.revokedSet.delete(principal);
      this.record(() => this.sql.exec("DELETE FROM revoked WHERE principal = ?", principal));
    }
    return true;
  }

  addRule(rule: AdminAlertRule): void {
    this.rules.set(rule.id, rule);
    const json = JSON.stringify(rule);
    this.record(() =>
      this.sql.exec("INSERT OR REPLACE INTO alert_rules (id, rule) VALUES (?, ?)", rule.id, json),
    );
  }

  /** Deletes a rule; false when there was none by that id. */
  deleteRule(id: string): boolean {
    if (!this.rules.delete(id)) return false;
    this.record(() => this.sql.exec("DELETE FROM alert_rules WHERE id = ?", id));
    return true;
  }

  /** The hub made a change: the policy it spreads now is newer than any before. */
  bump(): void {
    this.setVersion(this.version + 1);
  }

  private setVersion(version: number): void {
    this.version = version;
    this.record(() =>
      this.sql.exec("INSERT OR REPLACE INTO policy_version (id, version) VALUES (0, ?)", version),
    );
  }

  /**
   * Takes the hub's policy as a whole (a shard's copy), writing only what differs; an older one than it has (two
   * admin changes spread at once, arriving out of order) is ignored.
   */
  replace(policy: BoardPolicy): void {
    if (policy.version < this.version) return;
    if (policy.version > this.version) this.setVersion(policy.version);
    if (JSON.stringify(policy.limits) !== JSON.stringify(this.limitsSet)) this.setLimits(policy.limits);
    const wanted = new Set(policy.revoked);
    for (const known of [...this.revokedSet]) if (!wanted.has(known)) this.setRevoked(known, false);
    for (const principal of wanted) this.setRevoked(principal, true);
    const rules = new Set(policy.alerts.map((rule) => rule.id));
    for (const id of [...this.rules.keys()]) if (!rules.has(id)) this.deleteRule(id);
    for (const rule of policy.alerts) if (!this.rules.has(rule.id)) this.addRule(rule);
  }
}
