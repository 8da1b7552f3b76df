import type { ActiveAlert, AdminAlertRule, AlertEvent } from "../protocol/alerts.ts";
import { seriesName, toJsonValue } from "../protocol/index.ts";
import type { StoredBatch } from "../shard/batch-codec.ts";
import type { Sql } from "../shard/metered-sql.ts";
import type { SeriesCatalog } from "../shard/series-catalog.ts";
import { AlertLog } from "./alert-log.ts";
import { AlertEvaluator } from "./evaluator.ts";
import { MAX_WEBHOOK_ATTEMPTS, retryDelay, sendWebhook } from "./webhooks.ts";

/** Webhooks one alarm sends at most (the rest wait for the next). */
const DELIVERIES_PER_ALARM = 20;

/**
 * A shard's alerts: the board's rules evaluated on the shard's points, their transitions stored with the batch that
 * caused them, and webhooks delivered from the alarm until the receiver answers 2xx (at least once, retried with
 * backoff). Transitions are handed to the caller, which pushes them to viewers.
 */
export class ShardAlerts {
  private readonly log: AlertLog;
  private readonly evaluator: AlertEvaluator;
  private readonly catalog: SeriesCatalog;
  private readonly board: string;

  constructor(sql: Sql, sid: number, board: string, catalog: SeriesCatalog) {
    this.log = new AlertLog(sql, sid);
    this.catalog = catalog;
    this.board = board;
    this.evaluator = new AlertEvaluator((id) => catalog.get(id), this.log.restore());
  }

  /** The board's rules changed (or the shard woke): alerts of deleted rules resolve. */
  setRules(rules: AdminAlertRule[], now: number): AlertEvent[] {
    const known = this.catalog
      .all()
      .map((def) => ({ id: def.id, lastAt: this.catalog.state(def).last?.ts ?? now }));
    this.evaluator.setRules(rules, known, now);
    return this.commit(now);
  }

  /** Evaluates an accepted batch (series ids local to the shard). */
  observe(batch: StoredBatch, receivedAt: number): void {
    if (!this.evaluator.hasRules) return;
    const { seriesIds, ts, values, stale } = batch;
    for (let i = 0; i < seriesIds.length; i++) {
      // A staleness marker is no value to compare; a silent series is what `nodata` rules watch.
      if (stale?.[i] !== 1) this.evaluator.observe(seriesIds[i]!, ts[i]!, values[i]!, receivedAt);
    }
  }

  /** Stores the transitions since the last call (inside the caller's transaction, when it has one). */
  commit(now: number): AlertEvent[] {
    const transitions = this.evaluator.take();
    if (transitions.length === 0) return [];
    const name = (id: number) => {
      const def = this.catalog.get(id);
      return def ? seriesName(def) : `#${id}`;
    };
    return this.log.record(transitions, name, now);
  }

  /** Fires the `nodata` alerts due by `now`. */
  expire(now: number): AlertEvent[] {
    this.evaluator.expire(now);
    return this.commit(now);
  }

  /** Whether a `nodata` rule is set: each accepted point may start a new deadline. */
  get watchesSilence(): boolean {
    return this.evaluator.watchesSilence;
  }

  /** When the alarm is next needed: a silent series' deadline or a webhook to (re)send. */
  nextDeadline(): number | null {
    const times = [this.evaluator.nextDeadline(), this.log.nextDue()].filter((t) => t !== null);
    return times.length > 0 ? Math.min(...times) : null;
  }

  /**
   * Sends the webhooks due, with the rule as it was at the transition (a deleted rule's resolution still goes out);
   * each that fails is tried again later, up to MAX_WEBHOOK_ATTEMPTS.
   */
  async deliver(now: number): Promise<void> {
    this.log.prune();
    await Promise.all(
      this.log.due(now, DELIVERIES_PER_ALARM).map(async ({ seq, attempts, rule }) => {
        const event = this.log.event(seq);
        if (!event || !rule.webhook || !rule.webhookSecret) {
          this.log.settled(seq);
          return;
        }
        const { id, name, series, op, threshold, forMs } = rule;
        const body = { board: this.board, rule: { id, name, series, op, threshold, forMs }, event };
        const delivery = `${this.board}/${event.sid}/${seq}`;
        const ok = await sendWebhook(rule.webhook, rule.webhookSecret, body, delivery, now);
        if (ok || attempts + 1 >= MAX_WEBHOOK_ATTEMPTS) {
          if (!ok)
            console.warn(`alert webhook ${delivery} to rule ${id} given up after ${attempts + 1} attempts`);
          this.log.settled(seq);
        } else this.log.postpone(seq, attempts + 1, Date.now() + retryDelay(attempts + 1));
      }),
    );
  }

  /** The alerts that hold now. */
  active(): ActiveAlert[] {
    return this.evaluator.instances().map((instance) => {
      const def = this.catalog.get(instance.seriesId);
      return {
        rule: instance.rule,
        series: def ? seriesName(def) : `#${instance.seriesId}`,
        state: instance.state,
        since: instance.since,
        value: instance.value === null ? null : toJsonValue(instance.value),
      };
    });
  }

  events(from: number, limit: number, newestFirst: boolean): AlertEvent[] {
    return this.log.since(from, limit, newestFirst);
  }
}
