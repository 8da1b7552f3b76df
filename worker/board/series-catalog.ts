import type { SeriesDef, SeriesState } from "../protocol/index.ts";
import type { Sql } from "./metered-sql.ts";

/** Series a single board may hold; bounds its storage (see README "Limits"). */
export const MAX_SERIES_PER_BOARD = 500;

interface SeriesEntry extends SeriesDef {
  lastTs: number | null;
  lastValue: number | null;
}

/** How a latest value is kept in the checkpoint row. */
export type LastValueEntry = [id: number, ts: number, value: number];

/**
 * The board's series: ids, names and latest values. Lives in memory; a new series is inserted with the batch that
 * creates it, latest values are kept in the checkpoint row and replayed from the log after a wake-up.
 */
export class SeriesCatalog {
  private readonly byId: SeriesEntry[] = [];
  private readonly byKey = new Map<string, SeriesEntry>();
  private readonly sql: Sql;

  constructor(sql: Sql, lastValues: LastValueEntry[] = []) {
    this.sql = sql;
    for (const row of sql.exec<{ id: number; device: string; metric: string }>(
      "SELECT id, device, metric FROM series ORDER BY id",
    )) {
      this.add({ id: row.id, device: row.device, metric: row.metric, lastTs: null, lastValue: null });
    }
    for (const [id, ts, value] of lastValues) {
      const entry = this.byId[id];
      if (entry) {
        entry.lastTs = ts;
        entry.lastValue = value;
      }
    }
  }

  private add(entry: SeriesEntry): void {
    this.byId[entry.id] = entry;
    this.byKey.set(`${entry.device}\u0000${entry.metric}`, entry);
  }

  get size(): number {
    return this.byKey.size;
  }

  get(id: number): SeriesDef | undefined {
    return this.byId[id];
  }

  find(device: string, metric: string): SeriesDef | undefined {
    return this.byKey.get(`${device}\u0000${metric}`);
  }

  all(): SeriesDef[] {
    return [...this.byKey.values()];
  }

  /**
   * Ids for a batch's points, given the device, its distinct metric names and each point's index into them.
   * Unknown metrics get new ids (inserted now). Returns null, creating nothing, past the series limit.
   */
  resolve(
    device: string,
    metrics: string[],
    metricIndex: Uint16Array,
  ): { ids: Uint32Array; created: SeriesDef[] } | null {
    const idOf = new Uint32Array(metrics.length);
    const created: SeriesDef[] = [];
    for (let m = 0; m < metrics.length; m++) {
      const metric = metrics[m]!;
      const existing = this.byKey.get(`${device}\u0000${metric}`);
      if (existing) {
        idOf[m] = existing.id;
        continue;
      }
      if (this.size >= MAX_SERIES_PER_BOARD) {
        this.forget(created);
        return null;
      }
      const entry: SeriesEntry = { id: this.byId.length, device, metric, lastTs: null, lastValue: null };
      this.add(entry);
      created.push(entry);
      idOf[m] = entry.id;
    }
    for (const def of created) {
      this.sql.exec(
        "INSERT INTO series (id, device, metric) VALUES (?, ?, ?)",
        def.id,
        def.device,
        def.metric,
      );
    }
    const ids = new Uint32Array(metricIndex.length);
    for (let i = 0; i < metricIndex.length; i++) ids[i] = idOf[metricIndex[i]!]!;
    return { ids, created };
  }

  /** Undoes series created by a batch that was refused. */
  private forget(created: SeriesDef[]): void {
    if (created.length === 0) return;
    this.byId.length = created[0]!.id;
    for (const def of created) this.byKey.delete(`${def.device}\u0000${def.metric}`);
  }

  /** Records a point as the series' latest value when it is not older than the current one. */
  observe(id: number, ts: number, value: number): void {
    const entry = this.byId[id]!;
    if (entry.lastTs !== null && ts < entry.lastTs) return;
    entry.lastTs = ts;
    entry.lastValue = value;
  }

  /** Every latest value, for the checkpoint row. */
  lastValues(): LastValueEntry[] {
    const entries: LastValueEntry[] = [];
    for (const entry of this.byId) {
      if (entry?.lastTs != null && entry.lastValue !== null)
        entries.push([entry.id, entry.lastTs, entry.lastValue]);
    }
    return entries;
  }

  state(def: SeriesDef): SeriesState {
    const entry = this.byId[def.id]!;
    const state: SeriesState = { id: entry.id, device: entry.device, metric: entry.metric };
    if (entry.lastTs !== null && entry.lastValue !== null)
      state.last = { ts: entry.lastTs, value: entry.lastValue };
    return state;
  }
}
