import { runPromql } from "../prometheus/run-query.ts";
import type { QueriedShard } from "../prometheus/shard-querier.ts";
import type { LabelSet } from "../promql/index.ts";
import { LIVE_QUERY_LIMITS, type LiveQueryMessage } from "../protocol/live-query.ts";
import {
  type EncodedEvent,
  encodeError,
  encodeResult,
  finalStep,
  LiveQuery,
  type QueryWatcher,
} from "./live-query.ts";
import type { ShardBatches } from "./mirror.ts";

/** What a subscription asks: an expression at a step (ms), with history from `start` (ms, a step multiple). */
export interface LiveQuerySpec {
  expr: string;
  stepMs: number;
  /** The first step of its history; null: the last 5 minutes. */
  start: number | null;
}

export interface LiveQueriesOptions {
  /** The board's shards, to read history and seeds from. */
  shards: () => Promise<QueriedShard[]>;
  /** A relayed series' PromQL labels. */
  labelsOf: (id: number) => LabelSet | undefined;
  /** Sends what is queued for viewers: points already received are fed before a step is evaluated. */
  beforeStep: () => void;
}

/**
 * One subscription of one viewer: its id, and where its events go. Events that come while its history is read are
 * held and follow it, so the viewer gets the history, then every step after it, once.
 */
export class Watcher implements QueryWatcher {
  readonly id: string;
  query: LiveQuery | null = null;
  private readonly out: (watcher: Watcher, event: EncodedEvent) => void;
  private held: EncodedEvent[] | null = [];
  ended = false;

  constructor(id: string, out: (watcher: Watcher, event: EncodedEvent) => void) {
    this.id = id;
    this.out = out;
  }

  receive(event: EncodedEvent): void {
    if (this.ended) return;
    if (this.held) this.held.push(event);
    else this.deliver(event);
  }

  /** Its history: sent, then what came meanwhile (nothing once it ended: its id may name a new subscription). */
  open(history: EncodedEvent): void {
    if (this.ended) return;
    const held = this.held ?? [];
    this.held = null;
    this.deliver(history);
    for (const event of held) if (!this.ended) this.deliver(event);
  }

  private deliver(event: EncodedEvent): void {
    if (event.kind === "error") this.ended = true;
    this.out(this, event);
  }
}

/** A shard could not be read (an RPC failed): the subscription ends, the client may subscribe again. */
const UNAVAILABLE = {
  errorType: "unavailable",
  error: "the board's storage could not be read; subscribe again",
};

/** A step's clock: the steps final so far, and a timer for the next one while any query uses the step. */
interface StepClock {
  stepMs: number;
  through: number;
  timer: ReturnType<typeof setTimeout> | undefined;
  queries: Set<LiveQuery>;
}

/**
 * The live queries of one object (a hub or a relay): one shared evaluation per (expression, step), fed every point
 * the object relays, and the subscriptions of its viewers to them. Each step clock wakes when its next step is final
 * (its end plus the grace) and evaluates every query on it; a clock stops when its last query goes, so an object
 * without live queries keeps no timer.
 */
export class LiveQueries {
  private readonly options: LiveQueriesOptions;
  private readonly queries = new Map<string, LiveQuery>();
  private readonly clocks = new Map<number, StepClock>();

  constructor(options: LiveQueriesOptions) {
    this.options = options;
  }

  /** Whether any viewer holds a subscription (the object must stay fed). */
  get watching(): boolean {
    return this.queries.size > 0;
  }

  /** Evaluations running and the subscriptions they serve (a board's stats). */
  get counts(): { evaluations: number; subscriptions: number } {
    let subscriptions = 0;
    for (const query of this.queries.values()) subscriptions += query.watchers.size;
    return { evaluations: this.queries.size, subscriptions };
  }

  /** Every point of a flush, to every evaluation. */
  feed(shards: readonly ShardBatches[]): void {
    if (this.queries.size === 0) return;
    for (const { batches } of shards)
      for (const { batch } of batches)
        for (const query of this.queries.values())
          for (let i = 0; i < batch.seriesIds.length; i++)
            query.offer(batch.seriesIds[i]!, batch.ts[i]!, batch.values[i]!, batch.stale?.[i] === 1);
  }

  /**
   * Subscribes `watcher` to `spec`: it shares the evaluation of (expression, step) if there is one, gets its history
   * from storage (as `query_range` answers it) up to the evaluation's last final step, then each step after.
   */
  async subscribe(watcher: Watcher, spec: LiveQuerySpec): Promise<void> {
    const key = `${spec.stepMs} ${spec.expr}`;
    let query = this.queries.get(key);
    if (!query) {
      if (this.queries.size >= LIVE_QUERY_LIMITS.perObject) {
        const error = `this board's hub (or relay) evaluates at most ${LIVE_QUERY_LIMITS.perObject} live queries at once`;
        watcher.open(encodeError({ errorType: "execution", error }, 0));
        return;
      }
      query = this.start(key, spec);
    }
    watcher.query = query;
    query.watchers.add(watcher);
    const end = query.lastFinal;
    const start =
      spec.start ?? Math.ceil((end - LIVE_QUERY_LIMITS.defaultHistoryMs) / spec.stepMs) * spec.stepMs;
    if (start > end) {
      watcher.open(encodeResult("history", start, end, []));
      return;
    }
    const request = { expr: spec.expr, start, end, step: spec.stepMs, timeoutMs: Number.POSITIVE_INFINITY };
    let history: EncodedEvent;
    try {
      const answer = await runPromql(await this.options.shards(), request, Date.now());
      if ("error" in answer) history = encodeError(answer.error, end);
      else history = encodeResult("history", start, end, answer.data.result as unknown[]);
    } catch (error) {
      console.error("live query: history failed", error);
      history = encodeError(UNAVAILABLE, end);
    }
    watcher.open(history);
    // A subscription whose history failed ends: it no longer keeps the evaluation running.
    if (history.kind === "error") this.unsubscribe(watcher);
  }

  /** Ends a subscription (an `unquery`, a closed socket or stream, or an error it was sent). */
  unsubscribe(watcher: Watcher): void {
    watcher.ended = true;
    const query = watcher.query;
    watcher.query = null;
    if (!query) return;
    query.watchers.delete(watcher);
    if (query.watchers.size === 0) this.stop(query);
  }

  private start(key: string, spec: LiveQuerySpec): LiveQuery {
    let clock = this.clocks.get(spec.stepMs);
    if (!clock) {
      clock = {
        stepMs: spec.stepMs,
        through: finalStep(Date.now(), spec.stepMs),
        timer: undefined,
        queries: new Set(),
      };
      this.clocks.set(spec.stepMs, clock);
      this.arm(clock);
    }
    const query = new LiveQuery(spec.expr, spec.stepMs, clock.through, this.options.labelsOf);
    this.queries.set(key, query);
    clock.queries.add(query);
    const seeded = this.options.shards().then((shards) => query.seed(shards));
    void seeded.then(
      () => (query.failed ? this.stop(query) : query.advance(clock.through)),
      (error) => {
        console.error("live query: seed failed", error);
        query.fail(UNAVAILABLE);
        this.stop(query);
      },
    );
    return query;
  }

  /** Forgets an evaluation (no watcher left, or it failed); its clock stops with its last query. */
  private stop(query: LiveQuery): void {
    const key = `${query.stepMs} ${query.expr}`;
    if (this.queries.get(key) === query) this.queries.delete(key);
    const clock = this.clocks.get(query.stepMs);
    clock?.queries.delete(query);
    if (clock && clock.queries.size === 0) {
      if (clock.timer !== undefined) clearTimeout(clock.timer);
      this.clocks.delete(query.stepMs);
    }
  }

  private arm(clock: StepClock): void {
    const due = clock.through + clock.stepMs + LIVE_QUERY_LIMITS.graceMs;
    clock.timer = setTimeout(() => void this.tick(clock), Math.max(0, due - Date.now()));
  }

  /** A step became final: every query on the clock evaluates it (after what is queued for viewers was fed). */
  private async tick(clock: StepClock): Promise<void> {
    this.options.beforeStep();
    const through = finalStep(Date.now(), clock.stepMs);
    if (through > clock.through) {
      clock.through = through;
      for (const query of [...clock.queries]) {
        await query.advance(through);
        if (query.failed) this.stop(query);
        // The raw stream's pushes and flushes go on between evaluations, not behind all of them.
        await new Promise((resolve) => setTimeout(resolve, 0));
      }
    }
    if (this.clocks.get(clock.stepMs) === clock) this.arm(clock);
  }

  /** Subscriptions of a socket, by id. */
  handleMessage(
    subscriptions: Map<string, Watcher>,
    message: LiveQueryMessage,
    out: (watcher: Watcher, event: EncodedEvent) => void,
  ): void {
    const existing = subscriptions.get(message.id);
    if (existing) {
      this.unsubscribe(existing);
      subscriptions.delete(message.id);
    }
    if (message.type === "unquery") return;
    const watcher = new Watcher(message.id, out);
    if ([...subscriptions.values()].filter((w) => !w.ended).length >= LIVE_QUERY_LIMITS.perViewer) {
      const error = `a viewer holds at most ${LIVE_QUERY_LIMITS.perViewer} live queries`;
      watcher.open(encodeError({ errorType: "execution", error }, 0));
      return;
    }
    subscriptions.set(message.id, watcher);
    // Both in seconds, as the README words them (and as the results' steps are).
    const start =
      message.after !== undefined
        ? message.after * 1000 + message.step
        : message.start === undefined
          ? undefined
          : message.start * 1000;
    const aligned = start === undefined ? null : Math.ceil(start / message.step) * message.step;
    void this.subscribe(watcher, { expr: message.expr, stepMs: message.step, start: aligned });
  }
}
