import type { LiveQueryError } from "../../../worker/protocol/live-query.ts";
import { applyLiveResult, emptyLiveMatrix, liveMatrixData, trimLiveMatrix } from "./live-matrix.ts";
import type { LiveQueryConnection } from "./live-query-connection.ts";
import { type PanelSeries, seriesOfAnswer } from "./panel-series.ts";
import type { AbsoluteRange } from "./time-expr.ts";

/** One target of a panel, interpolated: what it subscribes to and how its series are named. */
export interface PanelQuery {
  refId: string;
  expr: string;
  legendFormat: string;
}

export interface LivePanelOptions {
  /** The panel's query_range step, clamped to the live limits. */
  stepMs: number;
  /** How far back the panel shows from now. */
  spanMs: number;
  /** Stat, gauge, bar gauge: each series' value at the last step, as an instant query at it answers. */
  instant: boolean;
  data: (series: PanelSeries[], range: AbsoluteRange) => void;
  error: (error: LiveQueryError) => void;
  now?: () => number;
}

let subscriptions = 0;

/**
 * A panel fed by live subscriptions, one per target: each event updates that target's matrix, trimmed to the
 * window ending now, and the panel gets every target's series again. Ids are fresh per subscription, so events of
 * one replaced or ended a moment ago find no subscriber.
 */
export class LivePanelFeed {
  private readonly connection: LiveQueryConnection;
  private readonly queries: readonly PanelQuery[];
  private readonly options: LivePanelOptions;
  private readonly ids: string[] = [];
  private readonly matrices = new Map<string, ReturnType<typeof emptyLiveMatrix>>();

  constructor(connection: LiveQueryConnection, queries: readonly PanelQuery[], options: LivePanelOptions) {
    this.connection = connection;
    this.queries = queries;
    this.options = options;
  }

  /** Subscribes every target; false (and nothing subscribed) when the connection has no room for them all. */
  start(): boolean {
    const now = (this.options.now ?? Date.now)();
    const { stepMs, spanMs, instant } = this.options;
    const start = (now - (instant ? stepMs : spanMs)) / 1000;
    for (const query of this.queries) {
      const id = `panel-${++subscriptions}`;
      const matrix = emptyLiveMatrix();
      const subscribed = this.connection.query({
        id,
        expr: query.expr,
        stepMs,
        start,
        after: () => matrix.lastStep,
        result: (event) => {
          applyLiveResult(matrix, event);
          this.publish();
        },
        error: (error) => this.options.error(error),
      });
      if (!subscribed) {
        this.stop();
        return false;
      }
      this.ids.push(id);
      this.matrices.set(id, matrix);
    }
    return true;
  }

  stop(): void {
    for (const id of this.ids) this.connection.unquery(id);
    this.ids.length = 0;
  }

  private publish(): void {
    const to = (this.options.now ?? Date.now)();
    const range = { from: to - this.options.spanMs, to };
    const series = this.queries.flatMap((query, i) => {
      const matrix = this.matrices.get(this.ids[i]!);
      if (!matrix) return [];
      trimLiveMatrix(matrix, range.from / 1000);
      return seriesOfAnswer(liveMatrixData(matrix, this.options.instant), query);
    });
    this.options.data(series, range);
  }
}
