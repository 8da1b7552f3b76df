import type { AlertOp, AlertRule, AlertState } from "../protocol/alerts.ts";
import { parseSelector, type Selector, type SeriesDef, selectorMatches } from "../protocol/index.ts";

/** A transition of one rule's alert for one series (the shard names the series and numbers it when storing it). */
export interface Transition {
  rule: AlertRule;
  seriesId: number;
  state: AlertState;
  from: "ok" | "pending" | "firing";
  at: number;
  value: number | null;
}

/** An alert that holds: a rule's condition for one series, pending or firing since a time. */
export interface Instance {
  rule: string;
  seriesId: number;
  state: "pending" | "firing";
  since: number;
  value: number | null;
}

interface CompiledRule {
  rule: AlertRule;
  selector: Selector;
}

type Compare = (value: number, threshold: number) => boolean;

const COMPARE: Record<Exclude<AlertOp, "nodata">, Compare> = {
  ">": (value, threshold) => value > threshold,
  "<": (value, threshold) => value < threshold,
  ">=": (value, threshold) => value >= threshold,
  "<=": (value, threshold) => value <= threshold,
};

const key = (rule: string, seriesId: number) => `${rule}\u0000${seriesId}`;

/**
 * Evaluates a shard's alert rules as points arrive. A threshold rule's alert for a series turns `pending` at the
 * first point past the threshold, `firing` at a point still past it `forMs` later (at once when `forMs` is 0), and
 * `resolved` at the first point back (past `clearThreshold` when set). A `nodata` rule's alert fires when a matching
 * series received nothing for `forMs` (found by `expire`, from the shard's alarm) and resolves at its next point.
 * Which rules watch a series is worked out once per series; a shard without rules pays one check per batch.
 */
export class AlertEvaluator {
  private rules: CompiledRule[] = [];
  private readonly series: (id: number) => SeriesDef | undefined;
  private readonly watching = new Map<number, CompiledRule[]>();
  private readonly active = new Map<string, Instance>();
  /** When each series a `nodata` rule watches last received a point. */
  private readonly lastReceipt = new Map<number, number>();
  private pending: Transition[] = [];

  constructor(series: (id: number) => SeriesDef | undefined, active: Instance[] = []) {
    this.series = series;
    for (const instance of active) this.active.set(key(instance.rule, instance.seriesId), instance);
  }

  get hasRules(): boolean {
    return this.rules.length > 0;
  }

  /** Whether a rule watches for silence (its deadlines move with every point). */
  get watchesSilence(): boolean {
    return this.rules.some(({ rule }) => rule.op === "nodata");
  }

  /**
   * Takes the board's rules. Alerts of rules that are gone resolve; `known` are the shard's series with when they
   * last received a point, which `nodata` rules start counting from.
   */
  setRules(rules: AlertRule[], known: Array<{ id: number; lastAt: number }>, now: number): void {
    const previous = new Map(this.rules.map(({ rule }) => [rule.id, rule]));
    this.rules = rules.map((rule) => ({ rule, selector: parseSelector(rule.series) as Selector }));
    this.watching.clear();
    const kept = new Set(rules.map((rule) => rule.id));
    for (const [name, instance] of this.active) {
      if (kept.has(instance.rule)) continue;
      this.active.delete(name);
      const rule = previous.get(instance.rule);
      if (rule) this.emit(rule, instance.seriesId, "resolved", instance.state, now, null);
    }
    for (const { id, lastAt } of known) {
      if (this.rulesFor(id).some(({ rule }) => rule.op === "nodata") && !this.lastReceipt.has(id))
        this.lastReceipt.set(id, lastAt);
    }
  }

  /** The rules watching a series, worked out on its first point. */
  private rulesFor(seriesId: number): CompiledRule[] {
    let rules = this.watching.get(seriesId);
    if (!rules) {
      const def = this.series(seriesId);
      rules = def ? this.rules.filter(({ selector }) => selectorMatches(selector, def)) : [];
      this.watching.set(seriesId, rules);
    }
    return rules;
  }

  /** Evaluates one accepted point. */
  observe(seriesId: number, ts: number, value: number, receivedAt: number): void {
    const rules = this.rulesFor(seriesId);
    for (let r = 0; r < rules.length; r++) {
      const { rule } = rules[r]!;
      const name = key(rule.id, seriesId);
      const instance = this.active.get(name);
      if (rule.op === "nodata") {
        this.lastReceipt.set(seriesId, receivedAt);
        if (instance) {
          this.active.delete(name);
          this.emit(rule, seriesId, "resolved", instance.state, receivedAt, value);
        }
        continue;
      }
      const compare = COMPARE[rule.op];
      if (!instance) {
        if (!compare(value, rule.threshold!)) continue;
        const state = rule.forMs === 0 ? "firing" : "pending";
        this.active.set(name, { rule: rule.id, seriesId, state, since: ts, value });
        this.emit(rule, seriesId, state, "ok", ts, value);
      } else if (instance.state === "pending") {
        if (!compare(value, rule.threshold!)) {
          this.active.delete(name);
          this.emit(rule, seriesId, "resolved", "pending", ts, value);
        } else if (ts - instance.since >= rule.forMs) {
          this.active.set(name, { ...instance, state: "firing", since: ts, value });
          this.emit(rule, seriesId, "firing", "pending", ts, value);
        }
      } else if (!compare(value, rule.clearThreshold ?? rule.threshold!)) {
        this.active.delete(name);
        this.emit(rule, seriesId, "resolved", "firing", ts, value);
      }
    }
  }

  /** Fires the `nodata` alerts of series silent past their rule's `forMs`. */
  expire(now: number): void {
    for (const { rule } of this.rules) {
      if (rule.op !== "nodata") continue;
      for (const [seriesId, lastAt] of this.lastReceipt) {
        const deadline = lastAt + rule.forMs;
        const name = key(rule.id, seriesId);
        if (now < deadline || this.active.has(name) || !this.rulesFor(seriesId).some((c) => c.rule === rule))
          continue;
        this.active.set(name, { rule: rule.id, seriesId, state: "firing", since: deadline, value: null });
        this.emit(rule, seriesId, "firing", "ok", deadline, null);
      }
    }
  }

  /** When the next silent series fires a `nodata` alert, or null. */
  nextDeadline(): number | null {
    let next: number | null = null;
    for (const { rule } of this.rules) {
      if (rule.op !== "nodata") continue;
      for (const [seriesId, lastAt] of this.lastReceipt) {
        if (this.active.has(key(rule.id, seriesId))) continue;
        if (!this.rulesFor(seriesId).some((c) => c.rule === rule)) continue;
        next = Math.min(next ?? Number.POSITIVE_INFINITY, lastAt + rule.forMs);
      }
    }
    return next;
  }

  /** The alerts that hold now. */
  instances(): Instance[] {
    return [...this.active.values()];
  }

  /** The transitions since the last call, in the order they happened. */
  take(): Transition[] {
    const taken = this.pending;
    this.pending = [];
    return taken;
  }

  private emit(
    rule: AlertRule,
    seriesId: number,
    state: AlertState,
    from: Transition["from"],
    at: number,
    value: number | null,
  ): void {
    this.pending.push({ rule, seriesId, state, from, at, value });
  }
}
