import { DurableObject } from "cloudflare:workers";
import { ShardAlerts } from "../alerts/shard-alerts.ts";
import { type BoardConfig, boardConfig } from "../board/config.ts";
import { type BoardPolicy, effectiveLimits, seriesPerShard } from "../board/policy.ts";
import { PolicyStore } from "../board/policy-store.ts";
import { boardOf, globalSeriesId, sidOfShardName } from "../board/shards.ts";
import { hubStub } from "../board/stubs.ts";
import type { Env } from "../env.ts";
import { INGEST_LIMITS } from "../ingest/limits.ts";
import type { ActiveAlert, AlertEvent, DevicePresence, SeriesDef, ShardPosition } from "../protocol/index.ts";
import type { StoredBatch } from "./batch-codec.ts";
import { type BatchKey, BatchLog, type LoggedBatch } from "./batch-log.ts";
import { readCheckpoint } from "./checkpoint-row.ts";
import { Checkpoints } from "./checkpoints.ts";
import { DeviceRates, REFUSED_REQUEST_COST } from "./device-rates.ts";
import { type HistoryError, type HistoryRequest, queryHistory } from "./history.ts";
import { HubOutbox, type ShardPush } from "./hub-outbox.ts";
import { IdempotencyKeys } from "./idempotency.ts";
import { Meta } from "./meta.ts";
import { MeteredSql } from "./metered-sql.ts";
import { migrateToChunks } from "./migrate.ts";
import { Presence } from "./presence.ts";
import { answerCatalog, type CatalogAnswer, type CatalogQuery } from "./promql-labels.ts";
import {
  aggregateOnShard,
  type SampleStores,
  type ShardAggregateAnswer,
  type ShardAggregateRequest,
  type ShardSelectAnswer,
  type ShardSelectRequest,
  selectSamples,
} from "./promql-select.ts";
import { type RawSamples, readRawSamples } from "./raw-samples.ts";
import { RESOLUTIONS, SERIES_PER_BLOCK } from "./resolutions.ts";
import { Retention } from "./retention.ts";
import { Rollups } from "./rollups.ts";
import { META, SCHEMA, SCHEMA_VERSION } from "./schema.ts";
import { SeriesCatalog } from "./series-catalog.ts";
import type {
  IngestRequest,
  IngestResult,
  ReplayAnswer,
  SeriesSummary,
  ShardHistory,
  ShardSnapshot,
  ShardStats,
} from "./shard-api.ts";

/** Per-device request limits count over windows this long. */
export const DEVICE_RATE_WINDOW_MS = 10_000;
/** While the hub has not acknowledged everything (a push failed), the alarm retries this often. */
const PUSH_RETRY_MS = 5_000;

/**
 * One ingest shard of a board: the durable batch log of its devices, their series, rollups, presence and
 * counters, and an outbox to the board's hub while the hub has viewers. State is rebuilt from SQLite on every
 * wake; only the alarm (presence deadlines, retention, a push to retry) wakes an idle shard.
 */
export class ShardObject extends DurableObject<Env> {
  private readonly config: BoardConfig;
  private readonly sql: MeteredSql;
  private readonly rates: DeviceRates;
  private readonly sid: number;
  private readonly board: string;
  private epoch = 0;
  private createdAt = 0;
  private wakes = 0;
  private meta!: Meta;
  private policy!: PolicyStore;
  private catalog!: SeriesCatalog;
  private log!: BatchLog;
  private rollups!: Rollups;
  private presence!: Presence;
  private retention!: Retention;
  private keys!: IdempotencyKeys;
  private checkpoints!: Checkpoints;
  private outbox!: HubOutbox;
  private alerts!: ShardAlerts;
  private lastBatchAt = 0;
  private alarmAt: number | null = null;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.config = boardConfig(env);
    this.sql = new MeteredSql(ctx.storage.sql);
    this.rates = new DeviceRates(this.config.deviceRequestsPer10s, DEVICE_RATE_WINDOW_MS);
    const name = ctx.id.name ?? "";
    this.sid = sidOfShardName(name);
    this.board = boardOf(name);
    void ctx.blockConcurrencyWhile(async () => {
      const created = this.load();
      this.alarmAt = await ctx.storage.getAlarm();
      // A new shard tells its hub it exists, so queries and viewers still find it after the layout changes (the hub
      // also records every shard of each layout it runs with), and takes the board's policy before its first post.
      if (created) await this.register();
    });
  }

  private async register(): Promise<void> {
    try {
      await this.applyPolicy(await hubStub(this.env, this.board).registerShard(this.sid));
    } catch (error) {
      console.warn(`shard ${this.sid} of ${this.board}: could not register with the hub`, error);
    }
  }

  /** Opens the schema, restores the checkpoint row and replays the batches after it; true when it was created. */
  private load(): boolean {
    this.sql.exec(SCHEMA);
    this.meta = new Meta(this.sql);
    this.policy = new PolicyStore(this.sql);
    const migrated = this.ctx.storage.transactionSync(() => migrateToChunks(this.sql, this.meta));
    const existing = this.meta.get(META.epoch);
    this.epoch = existing ?? this.create();
    this.createdAt = this.meta.get(META.createdAt) ?? 0;
    this.wakes = (this.meta.get(META.wakes) ?? 0) + 1;
    this.meta.set(META.wakes, this.wakes);
    const saved = readCheckpoint(this.sql);
    this.catalog = new SeriesCatalog(this.sql, saved?.last, saved?.markers);
    const retention = { retentionMs: this.config.rawRetentionMs, maxPoints: this.config.rawMaxPoints };
    this.log = new BatchLog(this.sql, retention, saved?.seq ?? 0, saved?.rawPoints ?? 0);
    this.rollups = new Rollups(this.sql);
    this.retention = new Retention(this.log, this.rollups, this.catalog);
    this.presence = new Presence(this.config.presenceTimeoutMs, saved?.devices);
    const hub = hubStub(this.env, this.board);
    const shard = {
      sid: this.sid,
      epoch: this.epoch,
      lastSeq: () => this.log.lastSeq,
      shards: this.config.shards,
    };
    const push = (message: ShardPush) => hub.push(message);
    // Whether the hub wants batches is not stored: a waking shard pushes, and the hub's answer says (see `heard`).
    // What the hub acknowledged is known from the checkpoint, a lower bound (viewers drop what they already have).
    this.outbox = new HubOutbox(push, shard, saved?.pushedSeq ?? this.log.lastSeq);
    const sources = {
      storage: this.ctx.storage,
      sql: this.sql,
      log: this.log,
      catalog: this.catalog,
      presence: this.presence,
      rollups: this.rollups,
      wakes: this.wakes,
      pushedSeq: () => this.outbox.pushedSeq,
    };
    this.checkpoints = new Checkpoints(sources, saved, this.config.checkpointIntervalMs);
    const { counters } = this.checkpoints;
    // Rows written after the checkpoint by earlier wakes are known from what they stored: a log row per batch, two
    // rows (table and unique index) per series, a meta row per wake. Their reads are not, and stay uncounted.
    const earlierWakes = this.wakes - 1 - (saved?.wakes ?? 0);
    counters.rowsWritten += 2 * (this.catalog.size - (saved?.series ?? 0)) + earlierWakes;
    for (const logged of this.log.read(this.checkpoints.seq)) {
      this.fold(logged);
      counters.rowsWritten++;
      counters.requests++;
      counters.points += logged.batch.ts.length;
    }
    this.keys = new IdempotencyKeys(this.log, Date.now());
    this.alerts = new ShardAlerts(this.sql, this.sid, this.board, this.catalog);
    this.alerts.setRules(this.policy.policy.alerts, Date.now());
    // What creating or converting the storage wrote is counted in a first checkpoint row; a wake rebuilds the rest.
    if (existing === null || migrated) this.checkpoints.write();
    this.outbox.kick();
    return existing === null;
  }

  /** Starts a shard's history: a random epoch, its creation time and the layout version. Returns the epoch. */
  private create(): number {
    const epoch = crypto.getRandomValues(new Uint32Array(1))[0]! || 1;
    this.meta.set(META.epoch, epoch);
    this.meta.set(META.createdAt, Date.now());
    this.meta.set(META.schemaVersion, SCHEMA_VERSION);
    return epoch;
  }

  private position(seq = this.log.lastSeq): ShardPosition {
    return { sid: this.sid, epoch: this.epoch, seq };
  }

  /** Series ids as viewers know them: board-wide, carrying this shard's sid (the runs index stays here). */
  private toGlobal({ runs: _local, ...batch }: StoredBatch): StoredBatch {
    if (this.sid === 0) return batch;
    return { ...batch, seriesIds: batch.seriesIds.map((id) => globalSeriesId(this.sid, id)) };
  }

  private globalDef<T extends SeriesDef>(def: T): T {
    return { ...def, id: globalSeriesId(this.sid, def.id) };
  }

  /** Applies a logged batch to the in-memory state; returns the devices that just came online. */
  private fold({ batch, receivedAt }: LoggedBatch): DevicePresence[] {
    const { seriesIds, ts, values, stale } = batch;
    const devices = new Set<string>();
    let previous = -1;
    for (let i = 0; i < seriesIds.length; i++) {
      const id = seriesIds[i]!;
      const marker = stale?.[i] === 1;
      this.catalog.observe(id, ts[i]!, values[i]!, marker);
      // A staleness marker ends the series in the raw log; it is no value for rollups.
      if (!marker) this.rollups.add(id, ts[i]!, values[i]!, receivedAt);
      if (id !== previous) devices.add(this.catalog.get(id)!.device);
      previous = id;
    }
    this.checkpoints.folded(seriesIds.length);
    this.lastBatchAt = Math.max(this.lastBatchAt, receivedAt);
    const cameOnline: DevicePresence[] = [];
    for (const device of devices) {
      const presence = this.presence.seen(device, receivedAt);
      if (presence) cameOnline.push(presence);
    }
    return cameOnline;
  }

  /** The answer of a request stored earlier under the same idempotency key, or null when there is none. */
  private repeatOf(key: BatchKey, now: number): IngestResult | null {
    const kept = this.keys.find(key.key, now);
    if (!kept) return null;
    if (kept.hash !== key.hash) {
      const message = "this Idempotency-Key was used for a different request within the last 10 minutes";
      return { ok: false, status: 422, code: "idempotency_key_reused", message, path: "idempotency-key" };
    }
    return { ok: true, accepted: kept.accepted, position: this.position(kept.seq), repeated: true };
  }

  /** What a request stored under this idempotency key was answered, for a repeat the Worker could not parse again. */
  async repeated(key: BatchKey): Promise<IngestResult | null> {
    return this.repeatOf(key, Date.now());
  }

  /**
   * Stores a validated batch atomically (one log row, plus two per new series) and hands it to the hub's outbox.
   * Each device in it counts one request against its rate limit; a repeated idempotency key answers the first result.
   */
  async ingest(request: IngestRequest): Promise<IngestResult> {
    const { points, idempotency } = request;
    const receivedAt = Date.now();
    if (this.policy.isRevoked(request.principal)) {
      this.noteRejected("revoked");
      const message = `${request.principal.replace(":", " ")} was revoked by the board's admin`;
      return { ok: false, status: 403, code: "revoked", message, path: "authorization" };
    }
    const repeat = idempotency && this.repeatOf(idempotency, receivedAt);
    if (repeat) return repeat;
    const devices = [...new Set(points.series.map((series) => series.device))];
    let retryAfterMs = 0;
    for (const device of devices) retryAfterMs = Math.max(retryAfterMs, this.rates.take(device, receivedAt));
    if (retryAfterMs > 0) {
      this.noteRejected("rate_limited");
      const limit = this.config.deviceRequestsPer10s;
      const message = `a device of this request sent more than ${limit} requests in 10 s`;
      return { ok: false, status: 429, code: "rate_limited", message, retryAfterMs };
    }
    const stored = this.ctx.storage.transactionSync(() => {
      const resolved = this.catalog.resolve(points.series, points.seriesIndex, this.seriesLimits());
      if ("refused" in resolved) return resolved;
      const { ts, values, stale } = points;
      const batch: StoredBatch = { seriesIds: resolved.ids, ts, values, ...(stale ? { stale } : {}) };
      const seq = this.log.append(batch, receivedAt, this.checkpoints.seq, idempotency);
      // Alert transitions are stored with the batch that caused them: a replay after a crash never repeats them.
      this.alerts.observe(batch, receivedAt);
      return { batch, created: resolved.created, seq, alerts: this.alerts.commit(receivedAt) };
    });
    if ("refused" in stored) {
      this.noteRejected(stored.refused);
      const { perShard, perDevice } = this.seriesLimits();
      const message =
        stored.refused === "series_limit"
          ? `this board's shard holds at most ${perShard} series`
          : `a device may create at most ${perDevice} series on this board`;
      return { ok: false, status: 422, code: stored.refused, message, path: "points" };
    }
    const { batch, created, seq, alerts } = stored;
    const accepted = batch.ts.length;
    if (idempotency)
      this.keys.remember(idempotency.key, { seq, hash: idempotency.hash, accepted, receivedAt });
    const { counters } = this.checkpoints;
    counters.requests++;
    counters.points += accepted;
    const cameOnline = this.fold({ seq, receivedAt, batch });
    const forViewers = { seq, receivedAt, batch: this.toGlobal(batch) };
    this.outbox.enqueue(
      forViewers,
      created.map((def) => this.globalDef(def)),
      cameOnline,
      alerts,
    );
    this.checkpoints.maybe(receivedAt);
    const deadlines = devices.map((device) => this.presence.deadlineOf(device) ?? Number.POSITIVE_INFINITY);
    if (alerts.length > 0 || this.alerts.watchesSilence)
      deadlines.push(this.alerts.nextDeadline() ?? Number.POSITIVE_INFINITY);
    await this.ensureAlarm(receivedAt, Math.min(...deadlines));
    return { ok: true, accepted, position: this.position(seq), repeated: false };
  }

  /** What new series may take here under the board's limits. */
  private seriesLimits(): { perShard: number; perDevice: number } {
    const limits = effectiveLimits(this.policy.policy, this.config);
    return { perShard: seriesPerShard(limits, this.config.shards), perDevice: limits.seriesPerDevice };
  }

  /** The board's admin changed its limits, revocations or alert rules (the hub sends the whole policy). */
  async applyPolicy(policy: BoardPolicy): Promise<void> {
    const now = Date.now();
    this.policy.replace(policy);
    const resolved = this.alerts.setRules(this.policy.policy.alerts, now);
    this.outbox.enqueue(null, [], [], resolved);
    await this.ensureAlarm(now, this.alerts.nextDeadline() ?? undefined);
  }

  /** The alerts of this shard's series that hold now. */
  async activeAlerts(): Promise<ActiveAlert[]> {
    return this.alerts.active();
  }

  /** Alert transitions at or after `from`, oldest first (or newest first). */
  async alertEvents(from: number, limit: number, newestFirst: boolean): Promise<AlertEvent[]> {
    return this.alerts.events(from, limit, newestFirst);
  }

  /** The devices that posted here, with their series. */
  async devices(): Promise<Array<DevicePresence & { series: number }>> {
    return this.presence
      .list()
      .map((device) => ({ ...device, series: this.catalog.seriesOf(device.device) }));
  }

  /**
   * An ingest request the Worker refused as invalid: counted by code, and against its sender's rate (a device, or
   * `gateway:<name>`) at REFUSED_REQUEST_COST, so a client sending bodies that fail validation is cut like one
   * posting too often. Returns the ms until the sender may post again, or 0.
   */
  async refused(code: string, sender: string): Promise<number> {
    this.noteRejected(code);
    return this.rates.take(sender, Date.now(), REFUSED_REQUEST_COST);
  }

  /** Counts an ingest request refused before it reached the log (by the Worker or here), by error code. */
  noteRejected(code: string): void {
    const { counters } = this.checkpoints;
    counters.rejected[code] = (counters.rejected[code] ?? 0) + 1;
  }

  /** Checkpoints now (tests, and operators' tools). */
  checkpoint(): void {
    this.checkpoints.now();
  }

  /**
   * What the hub needs to greet viewers: the series with their last values, presence and position, and pushes
   * from then on. A hub whose viewers have nothing yet (`fresh`) is pushed batches after the newest; one rebuilding
   * its view under viewers that stayed connected gets them after what it acknowledged, which may repeat some.
   */
  async snapshot(fresh: boolean): Promise<ShardSnapshot> {
    if (fresh || !this.outbox.attached) this.outbox.attach(this.log.lastSeq);
    return {
      sid: this.sid,
      epoch: this.epoch,
      lastSeq: this.log.lastSeq,
      pushedSeq: this.outbox.pushedSeq,
      series: this.catalog.all().map((def) => this.globalDef(this.catalog.state(def))),
      presence: this.presence.list(),
    };
  }

  /**
   * Batches after `afterSeq` up to `throughSeq`, for a viewer's replay or a hub's gap; `gone` when the epoch differs,
   * some were already deleted, or they hold more than `maxPoints` points.
   */
  async readBatches(
    epoch: number,
    afterSeq: number,
    throughSeq: number,
    maxPoints: number,
  ): Promise<ReplayAnswer> {
    const gone = (reason: string): ReplayAnswer => ({ gone: true, epoch: this.epoch, reason });
    if (epoch !== this.epoch) return gone("the shard's history was replaced");
    const through = Math.min(throughSeq, this.log.lastSeq);
    if (afterSeq >= through) return { gone: false, epoch, batches: [] };
    const first = this.log.firstSeq();
    if (first === null || first > afterSeq + 1) return gone("those batches were deleted");
    if (this.log.pointsAfter(afterSeq) - this.log.pointsAfter(through) > maxPoints)
      return gone("too much to replay");
    const batches = [...this.log.read(afterSeq, through)].map(({ seq, batch }) => ({
      seq,
      batch: this.toGlobal(batch),
    }));
    return { gone: false, epoch, batches };
  }

  /**
   * A history query over this shard's series. With `align`, everything stored is pushed to the hub first, so the
   * answer holds exactly the batches up to its position and live frames after it hold none of them.
   */
  async history(request: HistoryRequest, align: boolean): Promise<ShardHistory | HistoryError> {
    if (align) await this.outbox.drain();
    const answer = queryHistory(request, this.catalog, this.rollups, this.log, this.earliestReceipt);
    if ("error" in answer) return answer;
    return { position: this.position(), ...answer };
  }

  /**
   * Samples of this shard's series (`seriesIds` local to the shard) in `[from, to]` from the raw log, NaN, ±Inf and
   * staleness markers included (see `readRawSamples`).
   */
  async rawSamples(seriesIds: number[], from: number, to: number): Promise<RawSamples[]> {
    // Without a sample budget the read never stops early.
    return readRawSamples(this.log, seriesIds, from, to, this.earliestReceipt)!;
  }

  /** A point with timestamp t was received no earlier than t minus the allowed clock skew. */
  private readonly earliestReceipt = (ts: number) => ts - INGEST_LIMITS.maxFutureMs;

  /** One PromQL selector over this shard's series (see `selectSamples`), with the SQLite rows it read. */
  async promqlSelect(request: ShardSelectRequest): Promise<ShardSelectAnswer & { rowsRead: number }> {
    return this.withRowsRead((stores) => selectSamples(request, stores));
  }

  /** A pushed-down PromQL aggregation over this shard's series (see `aggregateOnShard`), with the rows it read. */
  async promqlAggregate(
    request: ShardAggregateRequest,
  ): Promise<ShardAggregateAnswer & { rowsRead: number }> {
    return this.withRowsRead((stores) => aggregateOnShard(request, stores));
  }

  /** Runs a read over this shard's sample stores and counts the SQLite rows it read. */
  private async withRowsRead<T extends object>(
    read: (stores: SampleStores) => T | Promise<T>,
  ): Promise<T & { rowsRead: number }> {
    this.sql.settle();
    const before = this.sql.rowsRead;
    const answer = await read({
      catalog: this.catalog,
      rollups: this.rollups,
      log: this.log,
      rawWindowMs: this.config.rawRetentionMs,
    });
    this.sql.settle();
    return { ...answer, rowsRead: this.sql.rowsRead - before };
  }

  /** Series, label names or label values of this shard's series, for the Prometheus API (see `answerCatalog`). */
  async promqlCatalog(query: CatalogQuery): Promise<CatalogAnswer> {
    return answerCatalog({ catalog: this.catalog, rollups: this.rollups }, query);
  }

  /** The series with last values, recent rate and device presence. */
  async listSeries(): Promise<SeriesSummary[]> {
    const online = new Map(this.presence.list().map((p) => [p.device, p.online]));
    const defs = this.catalog.all();
    const counts = this.rollups.countsSince(
      defs.map((def) => def.id),
      Date.now() - 60_000,
    );
    return defs.map((def, i) => {
      const { id: _id, ...named } = def;
      return {
        ...named,
        last: this.catalog.state(def).last ?? null,
        pointsLastMinute: counts[i]!,
        online: online.get(def.device) ?? false,
      };
    });
  }

  /** This shard's part of the board's stats. */
  async stats(): Promise<ShardStats> {
    const blocks = Math.ceil(this.catalog.size / SERIES_PER_BLOCK);
    const oldest: ShardStats["oldest"] = { raw: this.log.oldestReceivedAt() };
    RESOLUTIONS.forEach((resolution, r) => {
      oldest[resolution.name] = this.rollups.oldestBucket(r, blocks);
    });
    return {
      sid: this.sid,
      createdAt: this.createdAt,
      position: this.position(),
      counters: this.checkpoints.totals(),
      databaseBytes: this.sql.databaseSize,
      series: this.catalog.size,
      devices: this.presence.list(),
      wakes: this.wakes,
      oldest,
    };
  }

  /** Presence deadlines, retention, alerts and a failed push to retry; see `compact`. */
  override async alarm(): Promise<void> {
    await this.compact(Date.now());
  }

  /**
   * Marks silent devices offline, fires `nodata` alerts, sends due alert webhooks, deletes leftover raw batches and expired rollup chunks in bounded chunks (raw
   * batches only once checkpointed, so nothing acknowledged is lost), retries a failed push, re-arms the alarm, and
   * checkpoints when the shard has gone quiet, retention changed storage, or the interval has passed. `now` is a
   * parameter so tests can move the shard's clock.
   */
  async compact(now: number): Promise<void> {
    this.alarmAt = null;
    const offline = this.presence.expire(now);
    const fired = this.ctx.storage.transactionSync(() => this.alerts.expire(now));
    this.outbox.enqueue(null, [], offline, fired);
    this.outbox.kick();
    // A shard silent for a presence timeout stores its state before it sleeps: before retention, which frees only
    // what is stored, and again after re-arming, which it counts.
    const quiet = now - this.lastBatchAt >= this.config.presenceTimeoutMs;
    if (quiet) this.checkpoints.now();
    const { deleted, backlog } = this.retention.run(now, this.checkpoints.seq);
    await this.alerts.deliver(now);
    await this.ensureAlarm(now, backlog ? now : undefined);
    if (quiet || deleted > 0) this.checkpoints.now();
    else this.checkpoints.maybe(now);
  }

  /** When presence, retention, alerts (silent series, webhooks) or a push to retry next needs the object. */
  private nextAlarm(now: number): number | null {
    const deadlines = [
      this.presence.nextDeadline(),
      this.alerts.nextDeadline(),
      this.retention.nextDue(now),
      this.outbox.behind ? now + PUSH_RETRY_MS : null,
    ].filter((t) => t !== null);
    return deadlines.length > 0 ? Math.min(...deadlines) : null;
  }

  /**
   * Arms the alarm for the next deadline, or for `earliest` when that comes first. The full computation runs only
   * when no alarm is armed; an armed one is only ever moved earlier.
   */
  private async ensureAlarm(now: number, earliest?: number): Promise<void> {
    if (this.alarmAt !== null && (earliest === undefined || this.alarmAt <= earliest)) return;
    const next = Math.min(
      this.nextAlarm(now) ?? Number.POSITIVE_INFINITY,
      earliest ?? Number.POSITIVE_INFINITY,
    );
    if (!Number.isFinite(next)) return;
    this.alarmAt = next;
    this.checkpoints.counters.alarmsSet++;
    await this.ctx.storage.setAlarm(next);
  }
}
