import type { AlertEvent } from "../protocol/alerts.ts";
import type { RuleTransition } from "./alert-transitions.ts";
import type { GroupState } from "./evaluate-group.ts";
import { RULE_LIMITS } from "./limits.ts";
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

/** Transitions pruned at once, so pruning deletes in bulk. */
const PRUNE_SLACK = 1_000;

/**
 * A board's rules in its hub's SQLite: one row for the rule file, one for the alerting configuration, one per
 * group for its last evaluation and alerts (written once per evaluation of that group), and one per evaluation
 * in which alerts changed state, with those transitions, for the dashboard's history.
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
    sql.exec(
      "CREATE TABLE IF NOT EXISTS rule_transitions (seq INTEGER PRIMARY KEY, last INTEGER NOT NULL, at INTEGER NOT NULL, events TEXT NOT NULL)",
    );
  }

  /**
   * Numbers an evaluation's transitions (they share its time) and keeps them as one row; past
   * RULE_LIMITS.maxKeptTransitions the oldest go.
   */
  appendTransitions(transitions: readonly RuleTransition[]): AlertEvent[] {
    if (transitions.length === 0) return [];
    const newest = this.sql
      .exec<{ seq: number | null }>("SELECT MAX(last) AS seq FROM rule_transitions")
      .one();
    const first = (newest.seq ?? 0) + 1;
    const events = transitions.map((t, i) => ({ ...t, seq: first + i }));
    const last = first + events.length - 1;
    this.record(() =>
      this.sql.exec(
        "INSERT INTO rule_transitions (seq, last, at, events) VALUES (?, ?, ?, ?)",
        first,
        last,
        events[0]!.at,
        JSON.stringify(events),
      ),
    );
    if (Math.floor(last / PRUNE_SLACK) > Math.floor((first - 1) / PRUNE_SLACK))
      this.record(() =>
        this.sql.exec("DELETE FROM rule_transitions WHERE last <= ?", last - RULE_LIMITS.maxKeptTransitions),
      );
    return events;
  }

  /** Transitions at or after `from` (ms), oldest first (or newest first), at most `limit`. */
  transitions(from: number, limit: number, newestFirst: boolean): AlertEvent[] {
    const order = newestFirst ? "DESC" : "ASC";
    const rows = this.sql
      .exec<{ events: string }>(
        `SELECT events FROM rule_transitions WHERE at >= ? ORDER BY at ${order}, seq ${order} LIMIT ?`,
        from,
        limit,
      )
      .toArray();
    const events = rows.flatMap((row) => {
      const kept = JSON.parse(row.events) as AlertEvent[];
      return newestFirst ? kept.reverse() : kept;
    });
    return events.slice(0, limit);
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
