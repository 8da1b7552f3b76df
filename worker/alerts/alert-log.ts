import type { AdminAlertRule, AlertEvent } from "../protocol/alerts.ts";
import { fromJsonValue, type JsonValue, toJsonValue } from "../protocol/index.ts";
import type { Sql } from "../shard/metered-sql.ts";
import type { Instance, Transition } from "./evaluator.ts";

/** Transitions a shard keeps (the newest; the latest of each alert that still holds is never dropped). */
export const MAX_EVENTS_PER_SHARD = 10_000;
/**
 * Webhooks queued per alert at most: past it (a receiver down while a series flaps) the oldest queued ones that are
 * not being retried are dropped, so the receiver still gets the latest state, and the outbox stays bounded.
 */
export const MAX_QUEUED_WEBHOOKS_PER_ALERT = 20;
/** Pruning runs once this many more have accumulated, so it deletes in bulk. */
const PRUNE_SLACK = 1_000;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS alert_events (
  seq INTEGER PRIMARY KEY,
  at INTEGER NOT NULL,
  rule TEXT NOT NULL,
  name TEXT NOT NULL,
  series_id INTEGER NOT NULL,
  series TEXT NOT NULL,
  state TEXT NOT NULL,
  from_state TEXT NOT NULL,
  value REAL
);
CREATE TABLE IF NOT EXISTS webhook_outbox (
  seq INTEGER PRIMARY KEY,
  alert TEXT NOT NULL,
  rule TEXT NOT NULL,
  due INTEGER NOT NULL,
  attempts INTEGER NOT NULL
);
`;

interface EventRow extends Record<string, SqlStorageValue> {
  seq: number;
  at: number;
  rule: string;
  name: string;
  series_id: number;
  series: string;
  state: string;
  from_state: string;
  /** REAL, or the text of NaN and ±Inf (see `toJsonValue`): SQLite keeps no NaN. */
  value: JsonValue | null;
}

/**
 * A webhook still to deliver: the event's seq, its alert (rule and series), the rule as it was (a deleted rule's
 * resolution still goes out), when it is next due, the attempts made.
 */
export interface PendingDelivery {
  seq: number;
  alert: string;
  rule: AdminAlertRule;
  due: number;
  attempts: number;
}

/**
 * A shard's alert transitions in its SQLite: a row per transition, written in the transaction that stores the batch
 * that caused it, and a row per webhook still to deliver (deleted once delivered). On wake, the latest transition of
 * each alert says which alerts hold.
 */
export class AlertLog {
  private readonly sql: Sql;
  private readonly sid: number;
  private lastSeq: number;
  private firstSeq: number;
  private readonly outbox = new Map<number, PendingDelivery>();

  constructor(sql: Sql, sid: number) {
    this.sql = sql;
    this.sid = sid;
    sql.exec(SCHEMA);
    const bounds = sql
      .exec<{ first: number | null; last: number | null }>(
        "SELECT MIN(seq) AS first, MAX(seq) AS last FROM alert_events",
      )
      .one();
    this.firstSeq = bounds.first ?? 1;
    this.lastSeq = bounds.last ?? 0;
    for (const row of sql.exec<{ seq: number; alert: string; rule: string; due: number; attempts: number }>(
      "SELECT seq, alert, rule, due, attempts FROM webhook_outbox ORDER BY seq",
    ))
      this.outbox.set(row.seq, { ...row, rule: JSON.parse(row.rule) as AdminAlertRule });
  }

  /** The alerts that held when the shard last ran: each alert's latest transition, unless it resolved. */
  restore(): Instance[] {
    if (this.lastSeq === 0) return [];
    return this.sql
      .exec<EventRow>(
        `SELECT * FROM alert_events WHERE seq IN (SELECT MAX(seq) FROM alert_events GROUP BY rule, series_id)
         AND state != 'resolved'`,
      )
      .toArray()
      .map((row) => ({
        rule: row.rule,
        seriesId: row.series_id,
        state: row.state as Instance["state"],
        since: row.at,
        value: row.value === null ? null : fromJsonValue(row.value),
      }));
  }

  /** Stores transitions (inside the caller's transaction) and queues the webhooks they call for. */
  record(transitions: Transition[], seriesName: (id: number) => string, now: number): AlertEvent[] {
    return transitions.map((t) => {
      const seq = ++this.lastSeq;
      const series = seriesName(t.seriesId);
      const value = t.value === null ? null : toJsonValue(t.value);
      this.sql.exec(
        "INSERT INTO alert_events (seq, at, rule, name, series_id, series, state, from_state, value) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        seq,
        t.at,
        t.rule.id,
        t.rule.name,
        t.seriesId,
        series,
        t.state,
        t.from,
        value,
      );
      const notify = t.state === "firing" || (t.state === "resolved" && t.from === "firing");
      if (t.rule.webhook && notify) {
        const alert = `${t.rule.id}/${t.seriesId}`;
        const rule = t.rule as AdminAlertRule;
        this.sql.exec(
          "INSERT INTO webhook_outbox (seq, alert, rule, due, attempts) VALUES (?, ?, ?, ?, 0)",
          seq,
          alert,
          JSON.stringify(rule),
          now,
        );
        this.outbox.set(seq, { seq, alert, rule, due: now, attempts: 0 });
        this.bound(alert);
      }
      return {
        rule: t.rule.id,
        name: t.rule.name,
        series,
        state: t.state,
        from: t.from,
        at: t.at,
        value,
        sid: this.sid,
        seq,
      };
    });
  }

  /** Transitions at or after `from` (ms), oldest first (or newest first), at most `limit`. */
  since(from: number, limit: number, newestFirst = false): AlertEvent[] {
    const order = newestFirst ? "at DESC, seq DESC" : "at, seq";
    return this.sql
      .exec<EventRow>(`SELECT * FROM alert_events WHERE at >= ? ORDER BY ${order} LIMIT ?`, from, limit)
      .toArray()
      .map((row) => this.toEvent(row));
  }

  event(seq: number): AlertEvent | null {
    const row = this.sql.exec<EventRow>("SELECT * FROM alert_events WHERE seq = ?", seq).toArray()[0];
    return row ? this.toEvent(row) : null;
  }

  private toEvent(row: EventRow): AlertEvent {
    return {
      rule: row.rule,
      name: row.name,
      series: row.series,
      state: row.state as AlertEvent["state"],
      from: row.from_state as AlertEvent["from"],
      at: row.at,
      value: row.value,
      sid: this.sid,
      seq: row.seq,
    };
  }

  /** Drops an alert's oldest queued webhooks past MAX_QUEUED_WEBHOOKS_PER_ALERT, keeping the one being retried. */
  private bound(alert: string): void {
    const queued = [...this.outbox.values()].filter((d) => d.alert === alert).sort((a, b) => a.seq - b.seq);
    const excess = queued.length - MAX_QUEUED_WEBHOOKS_PER_ALERT;
    for (const dropped of queued.slice(1, 1 + Math.max(0, excess))) this.settled(dropped.seq);
  }

  /** Each alert's oldest undelivered webhook: an alert's webhooks go out in order, a resolution after its firing. */
  private heads(): PendingDelivery[] {
    const heads = new Map<string, PendingDelivery>();
    for (const delivery of this.outbox.values()) {
      const head = heads.get(delivery.alert);
      if (!head || delivery.seq < head.seq) heads.set(delivery.alert, delivery);
    }
    return [...heads.values()];
  }

  /** Webhooks due by `now`, oldest first. */
  due(now: number, limit: number): PendingDelivery[] {
    return this.heads()
      .filter((d) => d.due <= now)
      .sort((a, b) => a.due - b.due)
      .slice(0, limit);
  }

  /** When the next webhook is due, or null. */
  nextDue(): number | null {
    let next: number | null = null;
    for (const { due } of this.heads()) next = Math.min(next ?? Number.POSITIVE_INFINITY, due);
    return next;
  }

  /** A webhook was delivered, or given up on: it leaves the outbox. */
  settled(seq: number): void {
    this.outbox.delete(seq);
    this.sql.exec("DELETE FROM webhook_outbox WHERE seq = ?", seq);
  }

  /** A delivery failed: tried again at `due`. */
  postpone(seq: number, attempts: number, due: number): void {
    const delivery = this.outbox.get(seq);
    if (delivery) this.outbox.set(seq, { ...delivery, due, attempts });
    this.sql.exec("UPDATE webhook_outbox SET due = ?, attempts = ? WHERE seq = ?", due, attempts, seq);
  }

  /** Drops the oldest transitions past MAX_EVENTS_PER_SHARD, except each alert's latest. */
  prune(): void {
    if (this.lastSeq - this.firstSeq + 1 <= MAX_EVENTS_PER_SHARD + PRUNE_SLACK) return;
    const below = this.lastSeq - MAX_EVENTS_PER_SHARD;
    this.sql.exec(
      `DELETE FROM alert_events WHERE seq <= ?
       AND seq NOT IN (SELECT MAX(seq) FROM alert_events GROUP BY rule, series_id)
       AND seq NOT IN (SELECT seq FROM webhook_outbox)`,
      below,
    );
    this.firstSeq = below + 1;
  }
}
