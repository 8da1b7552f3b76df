import type { SeriesKey } from "../ingest/points.ts";
import {
  fromJsonValue,
  type JsonValue,
  type Labels,
  lastPoint,
  parseLabels,
  promqlLabels,
  type Selector,
  type SeriesDef,
  type SeriesKind,
  type SeriesState,
  selectorMatches,
} from "../protocol/index.ts";
import type { Sql } from "./metered-sql.ts";

/** A series with its PromQL labels (`promqlLabels`), built once: callers must not change them. */
export interface LabelledSeries {
  def: SeriesDef;
  labels: Labels;
}

/** Series one shard may hold: with the rollup retentions, this bounds its storage (README "Storage bound"). */
export const MAX_SERIES_PER_SHARD = 5_000;

interface SeriesEntry {
  def: SeriesDef;
  /** Canonical label text, part of the identity. */
  labels: string;
  lastTs: number | null;
  lastValue: number | null;
  lastStale: boolean;
  /** Timestamp of the newest staleness marker the series has had, or null. */
  newestMarker: number | null;
  /** The series with its PromQL labels, once a query asked for them. */
  labelled?: LabelledSeries;
}

/** How a latest value is kept in the checkpoint row (JSON): `stale` 1 when it is a staleness marker. */
export type LastValueEntry = [id: number, ts: number, value: JsonValue, stale?: 1];

/** A series' newest staleness marker as the checkpoint row keeps it. */
export type MarkerEntry = [id: number, ts: number];

function identity(device: string, metric: string, labels: string): string {
  return `${device}\u0000${metric}\u0000${labels}`;
}

/**
 * The board's series: ids, names, labels, units and latest values. Lives in memory; a new series is inserted with
 * the batch that creates it, latest values are kept in the checkpoint row and replayed from the log after a wake.
 */
export class SeriesCatalog {
  private readonly byId: SeriesEntry[] = [];
  private readonly byKey = new Map<string, SeriesEntry>();
  /** Each metric's series in id order: a PromQL selector naming its metric looks at those only. */
  private readonly byMetric = new Map<string, SeriesEntry[]>();
  private readonly perDevice = new Map<string, number>();
  private readonly sql: Sql;
  /**
   * Batches received from this time on have all been observed for staleness markers (`newestMarker`): always, but
   * after a wake from a checkpoint row written before markers were kept, from the wake on.
   */
  readonly markersKnownSince: number;

  /** `markers` undefined with `lastValues` given: a checkpoint row from before markers were kept. */
  constructor(sql: Sql, lastValues: LastValueEntry[] = [], markers?: MarkerEntry[]) {
    this.sql = sql;
    this.markersKnownSince =
      markers === undefined && lastValues.length > 0 ? Date.now() : Number.NEGATIVE_INFINITY;
    for (const row of sql.exec<{
      id: number;
      device: string;
      metric: string;
      labels: string;
      unit: string | null;
      kind: SeriesKind | null;
    }>("SELECT id, device, metric, labels, unit, kind FROM series ORDER BY id")) {
      this.add(row.id, { ...row, unit: row.unit ?? undefined, kind: row.kind ?? undefined });
    }
    for (const [id, ts, value, stale] of lastValues) {
      const entry = this.byId[id];
      if (entry) {
        entry.lastTs = ts;
        entry.lastValue = fromJsonValue(value);
        entry.lastStale = stale === 1;
      }
    }
    for (const [id, ts] of markers ?? []) {
      const entry = this.byId[id];
      if (entry) entry.newestMarker = ts;
    }
  }

  private add(id: number, key: SeriesKey): SeriesEntry {
    const def: SeriesDef = { id, device: key.device, metric: key.metric };
    if (key.labels !== "") def.labels = parseLabels(key.labels);
    if (key.unit !== undefined) def.unit = key.unit;
    if (key.kind !== undefined) def.kind = key.kind;
    const entry: SeriesEntry = {
      def,
      labels: key.labels,
      lastTs: null,
      lastValue: null,
      lastStale: false,
      newestMarker: null,
    };
    this.byId[id] = entry;
    this.byKey.set(identity(key.device, key.metric, key.labels), entry);
    const ofMetric = this.byMetric.get(key.metric);
    if (ofMetric) ofMetric.push(entry);
    else this.byMetric.set(key.metric, [entry]);
    this.perDevice.set(key.device, (this.perDevice.get(key.device) ?? 0) + 1);
    return entry;
  }

  get size(): number {
    return this.byKey.size;
  }

  /** Series of one device. */
  seriesOf(device: string): number {
    return this.perDevice.get(device) ?? 0;
  }

  get(id: number): SeriesDef | undefined {
    return this.byId[id]?.def;
  }

  all(): SeriesDef[] {
    return this.byId.map((entry) => entry.def);
  }

  /** Every series, or those of the metrics named, with their PromQL labels, in id order. */
  labelled(metrics?: ReadonlySet<string>): LabelledSeries[] {
    let entries = this.byId;
    if (metrics) {
      entries = [...metrics].flatMap((metric) => this.byMetric.get(metric) ?? []);
      if (metrics.size > 1) entries.sort((a, b) => a.def.id - b.def.id);
    }
    return entries.map((entry) => {
      entry.labelled ??= { def: entry.def, labels: promqlLabels(entry.def) };
      return entry.labelled;
    });
  }

  /** Series matched by any of `selectors`, in id order. */
  matching(selectors: readonly Selector[]): SeriesDef[] {
    return this.all().filter((def) => selectors.some((selector) => selectorMatches(selector, def)));
  }

  /**
   * Ids for a batch's points, given its series and each point's index into them. Unknown series get new ids
   * (inserted now, with their unit and kind). Returns which limit a new series would pass instead, creating nothing.
   */
  resolve(
    keys: SeriesKey[],
    seriesIndex: Uint16Array,
    limits: { perShard: number; perDevice: number },
  ): { ids: Uint32Array; created: SeriesDef[] } | { refused: "series_limit" | "device_series_limit" } {
    const idOf = new Uint32Array(keys.length);
    const created: SeriesEntry[] = [];
    for (let k = 0; k < keys.length; k++) {
      const key = keys[k]!;
      const existing = this.byKey.get(identity(key.device, key.metric, key.labels));
      if (existing) {
        idOf[k] = existing.def.id;
        continue;
      }
      const refused =
        this.size >= limits.perShard
          ? "series_limit"
          : this.seriesOf(key.device) >= limits.perDevice
            ? "device_series_limit"
            : null;
      if (refused) {
        this.forget(created);
        return { refused };
      }
      const entry = this.add(this.byId.length, key);
      created.push(entry);
      idOf[k] = entry.def.id;
    }
    for (const { def, labels } of created) {
      this.sql.exec(
        "INSERT INTO series (id, device, metric, labels, unit, kind) VALUES (?, ?, ?, ?, ?, ?)",
        def.id,
        def.device,
        def.metric,
        labels,
        def.unit ?? null,
        def.kind ?? null,
      );
    }
    const ids = new Uint32Array(seriesIndex.length);
    for (let i = 0; i < seriesIndex.length; i++) ids[i] = idOf[seriesIndex[i]!]!;
    return { ids, created: created.map((entry) => entry.def) };
  }

  /** Undoes series created by a batch that was refused. */
  private forget(created: SeriesEntry[]): void {
    if (created.length === 0) return;
    this.byId.length = created[0]!.def.id;
    for (const { def, labels } of created.toReversed()) {
      this.byKey.delete(identity(def.device, def.metric, labels));
      this.perDevice.set(def.device, this.perDevice.get(def.device)! - 1);
      // The newest of its metric's series: the last in that list.
      this.byMetric.get(def.metric)!.pop();
    }
  }

  /** Records a point (or a staleness marker) as the series' latest when it is not older than the current one. */
  observe(id: number, ts: number, value: number, stale: boolean): void {
    const entry = this.byId[id]!;
    if (stale && (entry.newestMarker === null || ts > entry.newestMarker)) entry.newestMarker = ts;
    if (entry.lastTs !== null && ts < entry.lastTs) return;
    entry.lastTs = ts;
    entry.lastValue = value;
    entry.lastStale = stale;
  }

  /** Every latest value, for the checkpoint row. */
  lastValues(): LastValueEntry[] {
    const entries: LastValueEntry[] = [];
    for (const entry of this.byId) {
      if (entry.lastTs === null || entry.lastValue === null) continue;
      const { value } = lastPoint(entry.lastTs, entry.lastValue, entry.lastStale);
      entries.push(
        entry.lastStale ? [entry.def.id, entry.lastTs, value, 1] : [entry.def.id, entry.lastTs, value],
      );
    }
    return entries;
  }

  /** Timestamp of the series' newest staleness marker, or null when it never had one. */
  newestMarker(id: number): number | null {
    return this.byId[id]?.newestMarker ?? null;
  }

  /** Every series' newest staleness marker, for the checkpoint row. */
  markers(): MarkerEntry[] {
    const entries: MarkerEntry[] = [];
    for (const entry of this.byId)
      if (entry.newestMarker !== null) entries.push([entry.def.id, entry.newestMarker]);
    return entries;
  }

  state(def: SeriesDef): SeriesState {
    const entry = this.byId[def.id]!;
    const state: SeriesState = { ...entry.def };
    if (entry.lastTs !== null && entry.lastValue !== null)
      state.last = lastPoint(entry.lastTs, entry.lastValue, entry.lastStale);
    return state;
  }
}
