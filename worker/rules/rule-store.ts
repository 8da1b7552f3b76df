import type { GroupState } from "./evaluate-group.ts";
import type { RuleGroup } from "./rule-file.ts";

type Change = () => SqlStorageCursor<Record<string, SqlStorageValue>>;

/** Where a board's rules send their alerts; webhooks sign with the board's secret. */
export interface AlertingConfig {
  alertmanagers: string[];
  webhooks: Array<{ url: string }>;
  webhookSecret: string;
}

export interface PendingWebhook {
  id: number;
  url: string;
  body: object;
  attempts: number;
}

/** What the rule file's PUT stored: the groups, and the board's Prometheus base URL for generatorURL links. */
export interface StoredRules {
  groups: RuleGroup[];
  externalUrl: string;
}

/**
 * A board's rules in its hub's SQLite: one row for the rule file, one for the alerting configuration, and one per
 * group for its last evaluation and alerts (written once per evaluation of that group).
 */
export class RuleStore {
  private readonly sql: SqlStorage;
  private readonly record: (change: Change) => void;

  constructor(sql: SqlStorage, record: (change: Change) => void) {
    this.sql = sql;
    this.record = record;
    sql.exec(
      "CREATE TABLE IF NOT EXISTS rule_file (id INTEGER PRIMARY KEY CHECK (id = 0), rules TEXT NOT NULL)",
    );
    sql.exec("CREATE TABLE IF NOT EXISTS rule_state (grp TEXT PRIMARY KEY, state TEXT NOT NULL)");
    sql.exec(
      "CREATE TABLE IF NOT EXISTS alerting (id INTEGER PRIMARY KEY CHECK (id = 0), config TEXT NOT NULL)",
    );
    sql.exec(
      "CREATE TABLE IF NOT EXISTS rule_webhooks (id INTEGER PRIMARY KEY AUTOINCREMENT, url TEXT NOT NULL, body TEXT NOT NULL, attempts INTEGER NOT NULL, due INTEGER NOT NULL)",
    );
  }

  /** Queues a webhook to deliver (the alarm sends it, and retries it until it is taken). */
  enqueueWebhook(url: string, body: object, due: number): void {
    this.record(() =>
      this.sql.exec(
        "INSERT INTO rule_webhooks (url, body, attempts, due) VALUES (?, ?, 0, ?)",
        url,
        JSON.stringify(body),
        due,
      ),
    );
  }

  dueWebhooks(now: number, limit: number): PendingWebhook[] {
    return this.sql
      .exec<{ id: number; url: string; body: string; attempts: number }>(
        "SELECT id, url, body, attempts FROM rule_webhooks WHERE due <= ? ORDER BY due LIMIT ?",
        now,
        limit,
      )
      .toArray()
      .map((row) => ({ ...row, body: JSON.parse(row.body) as object }));
  }

  /** A webhook was taken, or given up: it leaves the queue. */
  dropWebhook(id: number): void {
    this.record(() => this.sql.exec("DELETE FROM rule_webhooks WHERE id = ?", id));
  }

  postponeWebhook(id: number, attempts: number, due: number): void {
    this.record(() =>
      this.sql.exec("UPDATE rule_webhooks SET attempts = ?, due = ? WHERE id = ?", attempts, due, id),
    );
  }

  nextWebhookDue(): number | null {
    return this.sql.exec<{ due: number | null }>("SELECT MIN(due) AS due FROM rule_webhooks").one().due;
  }

  rules(): StoredRules {
    const row = this.sql.exec<{ rules: string }>("SELECT rules FROM rule_file WHERE id = 0").toArray()[0];
    return row ? (JSON.parse(row.rules) as StoredRules) : { groups: [], externalUrl: "" };
  }

  /** Replaces the rule file; states of groups no longer in it go. */
  replaceRules(rules: StoredRules, states: Map<string, GroupState>): void {
    this.sql.exec("DELETE FROM rule_state");
    this.record(() =>
      this.sql.exec("INSERT OR REPLACE INTO rule_file (id, rules) VALUES (0, ?)", JSON.stringify(rules)),
    );
    for (const [name, state] of states) this.saveState(name, state);
  }

  states(): Map<string, GroupState> {
    const rows = this.sql.exec<{ grp: string; state: string }>("SELECT grp, state FROM rule_state").toArray();
    return new Map(rows.map((row) => [row.grp, JSON.parse(row.state) as GroupState]));
  }

  saveState(group: string, state: GroupState): void {
    this.record(() =>
      this.sql.exec(
        "INSERT OR REPLACE INTO rule_state (grp, state) VALUES (?, ?)",
        group,
        JSON.stringify(state),
      ),
    );
  }

  alerting(): AlertingConfig {
    const row = this.sql.exec<{ config: string }>("SELECT config FROM alerting WHERE id = 0").toArray()[0];
    return row
      ? (JSON.parse(row.config) as AlertingConfig)
      : { alertmanagers: [], webhooks: [], webhookSecret: "" };
  }

  setAlerting(config: AlertingConfig): void {
    this.record(() =>
      this.sql.exec("INSERT OR REPLACE INTO alerting (id, config) VALUES (0, ?)", JSON.stringify(config)),
    );
  }
}
