import type { SeriesDef, SeriesState } from "../protocol/index.ts";

/** Series a single board may hold; bounds its storage (see README "Limits"). */
export const MAX_SERIES_PER_BOARD = 500;

interface SeriesEntry extends SeriesDef {
  lastTs: number | null;
  lastValue: number | null;
}

/**
 * The board's series: ids, names and latest values. Lives in memory; new series are inserted with the batch that
 * creates them, latest values are written at checkpoints and replayed from the log after a wake-up.
 */
export class SeriesCatalog {
  private readonly byId: SeriesEntry[] = [];
  private readonly byKey = new Map<string, SeriesEntry>();
  private readonly dirty = new Set<SeriesEntry>();
  private readonly sql: SqlStorage;

  constructor(sql: SqlStorage) {
    this.sql = sql;
    for (const row of sql.exec<{
      id: number;
      device: string;
      metric: string;
      last_ts: number | null;
      last_value: number | null;
    }>("SELECT id, device, metric, last_ts, last_value FROM series ORDER BY id")) {
      this.add({
        id: row.id,
        device: row.device,
        metric: row.metric,
        lastTs: row.last_ts,
        lastValue: row.last_value,
      });
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
    this.dirty.add(entry);
  }

  /** Writes changed latest values; call inside the checkpoint transaction. */
  checkpoint(): void {
    for (const entry of this.dirty) {
      this.sql.exec(
        "UPDATE series SET last_ts = ?, last_value = ? WHERE id = ?",
        entry.lastTs,
        entry.lastValue,
        entry.id,
      );
    }
    this.dirty.clear();
  }

  state(def: SeriesDef): SeriesState {
    const entry = this.byId[def.id]!;
    const state: SeriesState = { id: entry.id, device: entry.device, metric: entry.metric };
    if (entry.lastTs !== null && entry.lastValue !== null)
      state.last = { ts: entry.lastTs, value: entry.lastValue };
    return state;
  }
}
