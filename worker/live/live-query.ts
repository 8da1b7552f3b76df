import { INGEST_LIMITS } from "../ingest/limits.ts";
import { PROMQL_LIMITS } from "../prometheus/limits.ts";
import { engineOptions, runPromql } from "../prometheus/run-query.ts";
import { type QueriedShard, ShardQuerier } from "../prometheus/shard-querier.ts";
import {
  type Expr,
  type LabelMatcher,
  type LabelSet,
  PromQLError,
  parseExpr,
  type QueryData,
  rangeQuery,
} from "../promql/index.ts";
import { LIVE_QUERY_LIMITS, type LiveResultKind } from "../protocol/live-query.ts";
import { SampleRing } from "./sample-ring.ts";

/** An event encoded once for all its watchers: the JSON object's text after its opening brace (see `Watcher`). */
export interface EncodedEvent {
  kind: LiveResultKind | "error";
  /** The last step it covers (ms); for errors the last final step. */
  end: number;
  tail: string;
  /** The tail's size in UTF-8 (what a socket's flow control counts). */
  bytes: number;
}

export interface QueryWatcher {
  receive(event: EncodedEvent): void;
}

/** The last step final at `now`: a multiple of the step since the epoch, ended at least the grace ago. */
export function finalStep(now: number, stepMs: number): number {
  return Math.floor((now - LIVE_QUERY_LIMITS.graceMs) / stepMs) * stepMs;
}

/** A span in whole steps (at least one). */
function wholeSteps(ms: number, stepMs: number): number {
  return Math.max(1, Math.ceil(ms / stepMs)) * stepMs;
}

const seconds = (ms: number) => ms / 1000;
const utf8 = new TextEncoder();

/** An event's text after its opening brace, and its size, encoded once. */
function encoded(kind: EncodedEvent["kind"], end: number, text: string): EncodedEvent {
  const tail = text.slice(1);
  return { kind, end, tail, bytes: utf8.encode(tail).byteLength };
}

export function encodeResult(
  kind: LiveResultKind,
  start: number,
  end: number,
  result: unknown[],
): EncodedEvent {
  const text = JSON.stringify({
    kind,
    start: seconds(start),
    end: seconds(end),
    resultType: "matrix",
    result,
  });
  return encoded(kind, end, text);
}

export function encodeError(error: { errorType: string; error: string }, end: number): EncodedEvent {
  const text = JSON.stringify({ status: "error", errorType: error.errorType, error: error.error });
  return encoded("error", end, text);
}

/** `@` and negative offsets read past a step's end: such a step is never final. */
function readsAhead(e: Expr): boolean {
  switch (e.type) {
    case "vectorSelector":
      return e.at !== undefined || e.offset < 0;
    case "matrixSelector":
      return readsAhead(e.vector);
    case "subquery":
      return e.at !== undefined || e.offset < 0 || readsAhead(e.expr);
    case "call":
      return e.args.some(readsAhead);
    case "aggregate":
      return [e.param, e.expr].some((a) => a !== undefined && readsAhead(a));
    case "binary":
      return readsAhead(e.lhs) || readsAhead(e.rhs);
    case "unary":
    case "paren":
      return readsAhead(e.expr);
    default:
      return false;
  }
}

/**
 * One expression at one step, evaluated once for every viewer of it on this object. Its memory (a `SampleRing`) is
 * seeded from storage with a `query_range` over the last steps (the memory horizon), then fed every point the
 * object relays; each step, once final, is evaluated by the engine over that memory, so what it streams equals
 * `query_range`'s answer for the step. A point arriving after its step was sent marks the steps it changes; the next
 * evaluation sends them again as a correction (within the correction horizon), read from storage when they are
 * older than the memory holds.
 */
export class LiveQuery {
  readonly expr: string;
  readonly stepMs: number;
  readonly watchers = new Set<QueryWatcher>();
  /** The last step evaluated (ms since the epoch). */
  lastFinal: number;
  /** Set once the expression failed: the subscription ends for every watcher. */
  failed: EncodedEvent | null = null;
  private readonly ring = new SampleRing();
  private readonly labelsOf: (id: number) => LabelSet | undefined;
  /** Points relayed while the seed was read, offered once it is in. */
  private seeding: Array<[id: number, ts: number, value: number, stale: boolean]> | null = [];
  /** Evaluation times the ring holds every sample for: the last steps (older corrections re-read storage). */
  private coveredFrom: number;
  /** The memory and correction horizons in whole steps (ms). */
  private readonly memoryMs: number;
  private readonly correctionMs: number;
  /** Where the seed and older corrections are read from. */
  private shards: QueriedShard[] = [];
  /** Final steps late points changed: [from, to] evaluation times. */
  private dirty: [number, number] | null = null;
  private chain: Promise<void> = Promise.resolve();

  constructor(expr: string, stepMs: number, through: number, labelsOf: (id: number) => LabelSet | undefined) {
    this.expr = expr;
    this.stepMs = stepMs;
    this.lastFinal = through;
    this.memoryMs = wholeSteps(LIVE_QUERY_LIMITS.memoryHorizonMs, stepMs);
    this.correctionMs = wholeSteps(LIVE_QUERY_LIMITS.correctionHorizonMs, stepMs);
    this.coveredFrom = through - this.memoryMs;
    this.labelsOf = labelsOf;
  }

  get samples(): number {
    return this.ring.samples;
  }

  get ready(): boolean {
    return this.seeding === null && this.failed === null;
  }

  /** Reads the seed from storage: the selections of a `query_range` over the memory horizon up to `lastFinal`. */
  async seed(shards: QueriedShard[]): Promise<void> {
    this.shards = shards;
    let ast: Expr;
    try {
      ast = parseExpr(this.expr);
    } catch (error) {
      if (error instanceof PromQLError) this.fail({ errorType: error.errorType, error: error.apiMessage });
      else throw error;
      return;
    }
    if (readsAhead(ast)) {
      const error = "a live query cannot use @ or a negative offset: its steps would never be final";
      this.fail({ errorType: "bad_data", error });
      return;
    }
    const end = this.lastFinal;
    const start = this.coveredFrom;
    const request = { expr: this.expr, start, end, step: this.stepMs, timeoutMs: Number.POSITIVE_INFINITY };
    const selected: Array<{ matchers: readonly LabelMatcher[]; after: number }> = [];
    const answer = await runPromql(shards, request, Date.now(), (matchers, hints, series) => {
      const offset = end - hints.end;
      this.ring.seed(matchers, { offset, reach: hints.end - hints.start - (end - start) }, series);
      selected.push({ matchers, after: hints.end });
    });
    if ("error" in answer) {
      this.fail(answer.error);
      return;
    }
    // Points past the seed's last step stored before this evaluation existed were relayed before it (or before the
    // hub was fed at all): read them too, as far ahead as a point may be timestamped.
    const now = Date.now();
    const tail = new ShardQuerier(shards, now, PROMQL_LIMITS);
    try {
      for (const { matchers, after } of selected) {
        const hints = { start: after + 1, end: now + INGEST_LIMITS.maxFutureMs, step: this.stepMs, range: 0 };
        this.ring.seed(matchers, null, await tail.select(matchers, hints));
      }
    } catch (error) {
      if (!(error instanceof PromQLError)) throw error;
      this.fail({ errorType: error.errorType, error: error.apiMessage });
      return;
    }
    const buffered = this.seeding ?? [];
    this.seeding = null;
    for (const [id, ts, value, stale] of buffered) this.offer(id, ts, value, stale);
    this.checkSize();
  }

  /** A point the object relayed. */
  offer(id: number, ts: number, value: number, stale: boolean): void {
    if (this.failed) return;
    if (this.seeding) {
      this.seeding.push([id, ts, value, stale]);
      return;
    }
    const affected = this.ring.offer(id, this.labelsOf, ts, value, stale, this.lastFinal);
    if (!affected) return;
    this.dirty = this.dirty
      ? [Math.min(this.dirty[0], affected[0]), Math.max(this.dirty[1], affected[1])]
      : affected;
  }

  /** Evaluates the steps final through `through` (and corrections), sending them to every watcher. */
  advance(through: number): Promise<void> {
    this.chain = this.chain.then(() => this.evaluateThrough(through));
    return this.chain;
  }

  private async evaluateThrough(through: number): Promise<void> {
    if (!this.ready || through <= this.lastFinal) return;
    const step = this.stepMs;
    if (this.dirty) {
      const first = Math.max(Math.ceil(this.dirty[0] / step) * step, this.lastFinal - this.correctionMs);
      const last = Math.min(Math.floor(this.dirty[1] / step) * step, this.lastFinal);
      this.dirty = null;
      if (first <= last && !(await this.send("correction", first, last))) return;
    }
    if (!(await this.send("steps", this.lastFinal + step, through))) return;
    this.coveredFrom = Math.max(this.coveredFrom, through - this.memoryMs);
    this.ring.dropBefore(this.coveredFrom);
    this.checkSize();
  }

  /** Steps `from`…`to` evaluated over the ring, or over storage for steps older than it keeps. */
  private async evaluate(from: number, to: number): Promise<QueryData> {
    if (from >= this.coveredFrom)
      return rangeQuery(this.ring, this.expr, from, to, this.stepMs, engineOptions(Infinity));
    const request = { expr: this.expr, start: from, end: to, step: this.stepMs, timeoutMs: Infinity };
    const answer = await runPromql(this.shards, request, Date.now());
    if ("error" in answer) throw new PromQLError(answer.error.errorType, answer.error.error);
    return answer.data;
  }

  /** Evaluates steps `from`…`to` and sends them; false when the expression failed. */
  private async send(kind: LiveResultKind, from: number, to: number): Promise<boolean> {
    try {
      const data = await this.evaluate(from, to);
      const event = encodeResult(kind, from, to, data.result as unknown[]);
      for (const watcher of this.watchers) watcher.receive(event);
      // In the same turn as the send: a viewer joining from now on takes its history up to these steps.
      if (kind === "steps") this.lastFinal = to;
      return true;
    } catch (error) {
      if (!(error instanceof PromQLError)) throw error;
      this.fail({ errorType: error.errorType, error: error.apiMessage });
      return false;
    }
  }

  private checkSize(): void {
    const max = LIVE_QUERY_LIMITS.maxSamplesPerQuery;
    if (this.ring.samples > max)
      this.fail({
        errorType: "execution",
        error: `a live query may hold ${max} samples in memory; this one holds ${this.ring.samples}`,
      });
  }

  /** Ends the evaluation for every watcher with an error (also when its seed could not be read). */
  fail(error: { errorType: string; error: string }): void {
    this.failed = encodeError(error, this.lastFinal);
    this.seeding = null;
    for (const watcher of this.watchers) watcher.receive(this.failed);
  }
}
