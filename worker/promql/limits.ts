/** The limits one query runs under, passed in by the caller (never global), and the errors Prometheus gives. */
import { execution, PromQLError } from "./errors.ts";

export interface EngineOptions {
  /** How far back an instant selector looks for a sample, ms (Prometheus's --query.lookback-delta). */
  lookbackDelta?: number;
  /** Samples held at once: the result so far plus what the current step selected (--query.max-samples). */
  maxSamples?: number;
  /** Points per series of a range query (Prometheus's API refuses more than 11,000). */
  maxSteps?: number;
  /** Wall time for evaluation, ms (--query.timeout). */
  timeoutMs?: number;
  /** Characters of query text. */
  maxExpressionLength?: number;
  /** Step of a subquery written without one, `x[1h:]`, ms (Prometheus: the global evaluation interval). */
  defaultSubqueryStep?: number;
  /** Clock for the timeout, ms. */
  now?: () => number;
  /** Aborts evaluation (say, when the client went away) with a `canceled` error. */
  signal?: AbortSignal;
}

export const defaultOptions: Required<Omit<EngineOptions, "signal">> & Pick<EngineOptions, "signal"> = {
  lookbackDelta: 300_000,
  maxSamples: 50_000_000,
  maxSteps: 11_000,
  timeoutMs: 120_000,
  maxExpressionLength: 16_384,
  defaultSubqueryStep: 60_000,
  now: () => Date.now(),
};

/** Counts samples held by one query and watches its deadline. */
export class QueryBudget {
  private held = 0;
  private atStep = 0;
  private readonly deadline: number;
  private readonly options: typeof defaultOptions;

  constructor(options: typeof defaultOptions) {
    this.options = options;
    this.deadline = options.now() + options.timeoutMs;
  }

  /** Samples the current step selected or computed. */
  take(n: number): void {
    this.atStep += n;
    if (this.held + this.atStep > this.options.maxSamples)
      throw execution("query processing would load too many samples into memory in query execution");
  }

  /** Ends a step: its selections are dropped, `kept` result points stay. */
  endStep(kept: number): void {
    this.atStep = 0;
    this.take(kept);
    this.held += kept;
    this.atStep = 0;
  }

  checkTime(): void {
    if (this.options.signal?.aborted)
      throw new PromQLError("canceled", "query was canceled in expression evaluation");
    if (this.options.now() > this.deadline)
      throw new PromQLError("timeout", "query timed out in expression evaluation");
  }
}
