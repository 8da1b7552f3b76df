import { DurableObject } from "cloudflare:workers";
import type { Env } from "../env.ts";
import { INGEST_LIMITS } from "../ingest/limits.ts";
import type { PointColumns } from "../ingest/points.ts";
import {
  ALL_SERIES,
  type BoardStats,
  type DevicePresence,
  type HistoryResult,
  type Labels,
  PING,
  PONG,
  parseClientMessage,
  parseEventId,
  type StreamPosition,
} from "../protocol/index.ts";
import { type BatchKey, BatchLog, type LoggedBatch } from "./batch-log.ts";
import { type BoardConfig, boardConfig } from "./board-config.ts";
import { type Counters, emptyCounters, readCheckpoint, writeCheckpoint } from "./checkpoint-row.ts";
import { DeviceRates } from "./device-rates.ts";
import { type HistoryError, type HistoryRequest, queryHistory } from "./history.ts";
import { IdempotencyKeys } from "./idempotency.ts";
import { LiveHub } from "./live-hub.ts";
import { Meta } from "./meta.ts";
import { MeteredSql } from "./metered-sql.ts";
import { migrateToChunks } from "./migrate.ts";
import { Presence } from "./presence.ts";
import { RESOLUTIONS, SERIES_PER_BLOCK } from "./resolutions.ts";
import { Retention } from "./retention.ts";
import { Rollups } from "./rollups.ts";
import { META, SCHEMA, SCHEMA_VERSION } from "./schema.ts";
import { MAX_SERIES_PER_BOARD, SeriesCatalog } from "./series-catalog.ts";

/**
 * While batches arrive, in-memory state is folded into SQLite every `CHECKPOINT_INTERVAL_MS` (1 min): each
 * checkpoint writes a row per rollup chunk touched plus the checkpoint row, so rarer checkpoints cost fewer rows.
 * The log holds everything after the last checkpoint (raw retention is far longer). It checkpoints sooner once this
 * many points or batches wait, which bounds the replay after a wake (about 0.1 s)...
 */
const CHECKPOINT_MAX_POINTS = 500_000;
const CHECKPOINT_MAX_BATCHES = 20_000;
/** ...or once held rollup chunks take this much memory (an object has 128 MB). */
const CHECKPOINT_MAX_HELD_BYTES = 32 * 1024 * 1024;
/** A long poll with nothing to say answers after at most this long. */
export const MAX_POLL_WAIT_MS = 25_000;

export interface IngestRequest {
  points: PointColumns;
  /** A key scoped to the credential, and a hash of the request body: a repeat within the window is not stored. */
  idempotency?: BatchKey;
}

export type IngestResult =
  /** `repeated`: a request with this idempotency key was stored before; this is its answer. */
  | { ok: true; accepted: number; seq: number; repeated: boolean }
  | { ok: false; status: 422; code: string; message: string; path: string }
  | { ok: false; status: 429; code: string; message: string; retryAfterMs: number };

/** Per-device request limits count over windows this long. */
export const DEVICE_RATE_WINDOW_MS = 10_000;

export interface SeriesSummary {
  device: string;
  metric: string;
  labels?: Labels;
  unit?: string;
  kind?: string;
  last: { ts: number; value: number } | null;
  pointsLastMinute: number;
  online: boolean;
}

/**
 * One board: durable batch log, series catalog, rollups, presence, and live fan-out over hibernatable WebSockets.
 * All state is rebuilt from SQLite and socket attachments whenever the object wakes; only an alarm (retention and
 * presence deadlines) or a tick flush in progress keeps it awake.
 */
export class BoardObject extends DurableObject<Env> {
  private readonly config: BoardConfig;
  private readonly sql: MeteredSql;
  private epoch = 0;
  private createdAt = 0;
  private wakes = 0;
  private counters: Counters = emptyCounters();
  private catalog!: SeriesCatalog;
  private log!: BatchLog;
  private rollups!: Rollups;
  private presence!: Presence;
  private hub!: LiveHub;
  /** What the checkpoint row covers: batches up to this seq, this many raw points. */
  private checkpointSeq = 0;
  private checkpointPoints = 0;
  private checkpointAlarms = 0;
  private lastCheckpointAt = 0;
  private lastBatchAt = 0;
  private pointsSinceCheckpoint = 0;
  private alarmAt: number | null = null;
  private retention!: Retention;
  private keys!: IdempotencyKeys;
  private readonly rates: DeviceRates;
  private meta!: Meta;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.config = boardConfig(env);
    this.sql = new MeteredSql(ctx.storage.sql);
    this.rates = new DeviceRates(this.config.deviceRequestsPer10s, DEVICE_RATE_WINDOW_MS);
    ctx.setWebSocketAutoResponse(new WebSocketRequestResponsePair(PING, PONG));
    void ctx.blockConcurrencyWhile(async () => {
      this.load();
      this.alarmAt = await ctx.storage.getAlarm();
    });
  }

  /** Opens the schema, restores the checkpoint row and replays the batches accepted after it. */
  private load(): void {
    this.sql.exec(SCHEMA);
    this.meta = new Meta(this.sql);
    const migrated = this.ctx.storage.transactionSync(() => migrateToChunks(this.sql, this.meta));
    const existing = this.meta.get(META.epoch);
    this.epoch = existing ?? this.create();
    this.createdAt = this.meta.get(META.createdAt) ?? 0;
    this.wakes = (this.meta.get(META.wakes) ?? 0) + 1;
    this.meta.set(META.wakes, this.wakes);
    const saved = readCheckpoint(this.sql);
    this.checkpointSeq = saved?.seq ?? 0;
    this.checkpointPoints = saved?.rawPoints ?? 0;
    this.catalog = new SeriesCatalog(this.sql, saved?.last);
    const retention = { retentionMs: this.config.rawRetentionMs, maxPoints: this.config.rawMaxPoints };
    this.log = new BatchLog(this.sql, retention, this.checkpointSeq, this.checkpointPoints);
    this.rollups = new Rollups(this.sql);
    this.retention = new Retention(this.log, this.rollups, this.catalog);
    this.presence = new Presence(this.config.presenceTimeoutMs, saved?.devices);
    this.counters = saved?.counters ?? emptyCounters();
    this.checkpointAlarms = this.counters.alarmsSet;
    // Rows written after the checkpoint by earlier wakes are known from what they stored: a log row per batch, two
    // rows (table and unique index) per series, a meta row per wake. Their reads are not, and stay uncounted.
    const earlierWakes = this.wakes - 1 - (saved?.wakes ?? 0);
    this.counters.rowsWritten += 2 * (this.catalog.size - (saved?.series ?? 0)) + earlierWakes;
    for (const logged of this.log.read(this.checkpointSeq)) {
      this.fold(logged);
      this.counters.rowsWritten++;
      this.counters.requests++;
      this.counters.points += logged.batch.ts.length;
    }
    this.keys = new IdempotencyKeys(this.log, Date.now());
    this.lastCheckpointAt = Date.now();
    // What creating or converting the storage wrote is counted in a first checkpoint row; a wake rebuilds the rest.
    if (existing === null || migrated) this.writeCheckpointRow();
    this.hub = new LiveHub(this.ctx, this.catalog, this.log, {
      board: this.ctx.id.name ?? "",
      epoch: this.epoch,
      tickMs: this.config.tickMs,
      maxUnackedBytes: this.config.maxUnackedBytes,
      afterFlush: () => this.maybeCheckpoint(Date.now()),
    });
  }

  /** Starts a board's history: a random epoch, its creation time and the layout version. Returns the epoch. */
  private create(): number {
    const epoch = crypto.getRandomValues(new Uint32Array(1))[0]! || 1;
    this.meta.set(META.epoch, epoch);
    this.meta.set(META.createdAt, Date.now());
    this.meta.set(META.schemaVersion, SCHEMA_VERSION);
    return epoch;
  }

  /** Applies a logged batch to the in-memory state; returns the devices that just came online. */
  private fold({ batch, receivedAt }: LoggedBatch): DevicePresence[] {
    const { seriesIds, ts, values } = batch;
    const devices = new Set<string>();
    let previous = -1;
    for (let i = 0; i < seriesIds.length; i++) {
      const id = seriesIds[i]!;
      this.catalog.observe(id, ts[i]!, values[i]!);
      this.rollups.add(id, ts[i]!, values[i]!, receivedAt);
      if (id !== previous) devices.add(this.catalog.get(id)!.device);
      previous = id;
    }
    this.pointsSinceCheckpoint += seriesIds.length;
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
    return { ok: true, accepted: kept.accepted, seq: kept.seq, repeated: true };
  }

  /** What a request stored under this idempotency key was answered, for a repeat the Worker could not parse again. */
  async repeated(key: BatchKey): Promise<IngestResult | null> {
    return this.repeatOf(key, Date.now());
  }

  /**
   * Stores a validated batch atomically (one log row, plus two per new series) and queues it for viewers. Each
   * device in it counts one request against its rate limit; a repeated idempotency key answers the first result.
   */
  async ingest(request: IngestRequest): Promise<IngestResult> {
    const { points, idempotency } = request;
    const receivedAt = Date.now();
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
      const resolved = this.catalog.resolve(points.series, points.seriesIndex);
      if (!resolved) return null;
      const batch = { seriesIds: resolved.ids, ts: points.ts, values: points.values };
      const seq = this.log.append(batch, receivedAt, this.checkpointSeq, idempotency);
      return { batch, created: resolved.created, seq };
    });
    if (!stored) {
      this.noteRejected("series_limit");
      const message = `a board holds at most ${MAX_SERIES_PER_BOARD} series`;
      return { ok: false, status: 422, code: "series_limit", message, path: "points" };
    }
    const { batch, created, seq } = stored;
    const accepted = batch.ts.length;
    if (idempotency)
      this.keys.remember(idempotency.key, { seq, hash: idempotency.hash, accepted, receivedAt });
    this.counters.requests++;
    this.counters.points += accepted;
    this.hub.publish(seq, batch, created, this.fold({ seq, receivedAt, batch }));
    // While a tick is pending the checkpoint waits for its flush, so it never delays frames already due.
    if (!this.hub.flushScheduled) this.maybeCheckpoint(receivedAt);
    const deadlines = devices.map((device) => this.presence.deadlineOf(device) ?? Number.POSITIVE_INFINITY);
    await this.ensureAlarm(receivedAt, Math.min(...deadlines));
    return { ok: true, accepted, seq, repeated: false };
  }

  /** Counts an ingest request refused before it reached the log (by the Worker or here), by error code. */
  noteRejected(code: string): void {
    this.counters.rejected[code] = (this.counters.rejected[code] ?? 0) + 1;
  }

  /** Whether anything in memory differs from the checkpoint row and stored rollups. */
  private get changedSinceCheckpoint(): boolean {
    return (
      this.checkpointSeq !== this.log.lastSeq ||
      this.checkpointPoints !== this.log.points ||
      this.checkpointAlarms !== this.counters.alarmsSet ||
      this.presence.changed ||
      this.rollups.dirtySegments > 0
    );
  }

  /** Checkpoints when the interval has passed, or the replay a wake would need or the memory held grew too large. */
  private maybeCheckpoint(now: number): void {
    if (
      now - this.lastCheckpointAt >= this.config.checkpointIntervalMs ||
      this.pointsSinceCheckpoint >= CHECKPOINT_MAX_POINTS ||
      this.log.lastSeq - this.checkpointSeq >= CHECKPOINT_MAX_BATCHES ||
      this.rollups.heldBytes >= CHECKPOINT_MAX_HELD_BYTES
    )
      this.checkpoint();
  }

  /**
   * Persists in-memory state and the seq it covers, atomically, so a wake replays exactly what follows: a row per
   * changed rollup chunk and the checkpoint row.
   */
  checkpoint(): void {
    this.lastCheckpointAt = Date.now();
    if (this.changedSinceCheckpoint) this.writeCheckpointRow();
  }

  private writeCheckpointRow(): void {
    this.ctx.storage.transactionSync(() => {
      this.rollups.checkpoint();
      this.counters.checkpoints++;
      this.sql.settle();
      const counters = {
        ...this.counters,
        rowsRead: this.counters.rowsRead + this.sql.rowsRead,
        // The checkpoint row itself.
        rowsWritten: this.counters.rowsWritten + this.sql.rowsWritten + 1,
      };
      writeCheckpoint(this.sql, {
        seq: this.log.lastSeq,
        rawPoints: this.log.points,
        series: this.catalog.size,
        wakes: this.wakes,
        last: this.catalog.lastValues(),
        devices: this.presence.entries(),
        counters,
      });
    });
    this.checkpointSeq = this.log.lastSeq;
    this.checkpointPoints = this.log.points;
    this.checkpointAlarms = this.counters.alarmsSet;
    this.pointsSinceCheckpoint = 0;
  }

  /** The operator's view of cost and headroom; see `BoardStats`. */
  async stats(): Promise<BoardStats> {
    this.sql.settle();
    const blocks = Math.ceil(this.catalog.size / SERIES_PER_BLOCK);
    const oldest = { raw: this.log.oldestReceivedAt() } as BoardStats["oldest"];
    RESOLUTIONS.forEach((resolution, r) => {
      oldest[resolution.name] = this.rollups.oldestBucket(r, blocks);
    });
    this.sql.settle();
    return {
      board: this.ctx.id.name ?? "",
      createdAt: this.createdAt,
      ...this.hub.position,
      rowsWritten: this.counters.rowsWritten + this.sql.rowsWritten,
      rowsRead: this.counters.rowsRead + this.sql.rowsRead,
      alarmsSet: this.counters.alarmsSet,
      databaseBytes: this.sql.databaseSize,
      series: { count: this.catalog.size, limit: MAX_SERIES_PER_BOARD },
      devices: { count: this.presence.size, online: this.presence.onlineCount },
      viewers: this.hub.viewersByTransport,
      ingest: {
        requests: this.counters.requests,
        points: this.counters.points,
        rejected: { ...this.counters.rejected },
      },
      wakes: this.wakes,
      checkpoints: this.counters.checkpoints,
      oldest,
    };
  }

  /**
   * Aggregated history of some series; see `queryHistory`. Pending live points are flushed first, so the answer
   * holds exactly the batches up to its `seq`: a client splices live frames after it without gap or duplicate.
   */
  async history(request: HistoryRequest): Promise<HistoryResult | HistoryError> {
    this.hub.flush();
    const now = Date.now();
    // A point with timestamp t was received no earlier than t minus the allowed clock skew.
    const earliestReceipt = (ts: number) => ts - INGEST_LIMITS.maxFutureMs;
    const answer = queryHistory(request, this.catalog, this.rollups, this.log, earliestReceipt, now);
    return "error" in answer ? answer : { ...this.hub.position, ...answer };
  }

  /** The series catalog with last values, recent rate and device presence. */
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

  /** Retention and presence deadlines; see `compact`. */
  override async alarm(): Promise<void> {
    await this.compact(Date.now());
  }

  /**
   * Marks silent devices offline, deletes leftover raw batches and expired rollup chunks in bounded chunks (raw
   * batches only once checkpointed, so nothing acknowledged is lost), re-arms the alarm, and checkpoints when the
   * board has gone quiet, retention changed storage, or the interval has passed. `now` is a parameter so tests
   * can move the board's clock.
   */
  async compact(now: number): Promise<void> {
    this.alarmAt = null;
    const offline = this.presence.expire(now);
    if (offline.length > 0) this.hub.queuePresence(offline);
    // A board silent for a presence timeout stores its state before it sleeps: before retention, which frees only
    // what is stored, and again after re-arming, which it counts.
    const quiet = now - this.lastBatchAt >= this.config.presenceTimeoutMs;
    if (quiet) this.checkpoint();
    const { deleted, backlog } = this.retention.run(now, this.checkpointSeq);
    await this.ensureAlarm(now, backlog ? now : undefined);
    if (quiet || deleted > 0) this.checkpoint();
    else this.maybeCheckpoint(now);
  }

  /** When presence or retention next needs the object. */
  private nextAlarm(now: number): number | null {
    const deadlines = [this.presence.nextDeadline(), this.retention.nextDue(now)].filter((t) => t !== null);
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
    this.counters.alarmsSet++;
    await this.ctx.storage.setAlarm(next);
  }

  /** Live transports; the Worker has checked the request and the viewer's credential. */
  override async fetch(request: Request): Promise<Response> {
    const url = new URL(request.url);
    // The Worker has checked the selectors.
    const selectors = url.searchParams.getAll("series");
    const subscription = selectors.length > 0 ? selectors : [ALL_SERIES];
    const transport = url.pathname.slice(url.pathname.lastIndexOf("/") + 1);
    if (transport === "poll") {
      const wait = Math.min(MAX_POLL_WAIT_MS, Number(url.searchParams.get("wait") ?? MAX_POLL_WAIT_MS) || 0);
      return Response.json(await this.hub.poll(subscription, positionParams(url, "after"), wait));
    }
    if (transport === "events") {
      const lastEventId = request.headers.get("last-event-id");
      const resume = lastEventId ? parseEventId(lastEventId) : positionParams(url, "seq");
      const response = this.hub.openStream(subscription, resume);
      this.hub.queuePresence([]);
      return response;
    }
    const pair = new WebSocketPair();
    const socket = pair[1];
    this.hub.connect(socket, subscription, positionParams(url, "seq"));
    this.hub.sendTo(socket, {
      type: "presence",
      devices: this.presence.list(),
      viewers: this.hub.viewerCount,
    });
    this.hub.queuePresence([]);
    return new Response(null, { status: 101, webSocket: pair[0] });
  }

  override async webSocketMessage(socket: WebSocket, message: string | ArrayBuffer): Promise<void> {
    if (typeof message !== "string") {
      this.hub.sendTo(socket, { type: "error", code: "binary_not_accepted", message: "send JSON text" });
      return;
    }
    const parsed = parseClientMessage(message);
    if ("error" in parsed)
      this.hub.sendTo(socket, { type: "error", code: "bad_message", message: parsed.error });
    else this.hub.handle(socket, parsed);
  }

  override async webSocketClose(socket: WebSocket): Promise<void> {
    this.hub.leave(socket);
  }

  override async webSocketError(socket: WebSocket): Promise<void> {
    this.hub.leave(socket);
  }
}

/** `?epoch=&<seqParam>=` names the last position a client saw. */
function positionParams(url: URL, seqParam: string): StreamPosition | null {
  const epoch = Number(url.searchParams.get("epoch"));
  const seq = Number(url.searchParams.get(seqParam));
  if (!url.searchParams.has("epoch") || !url.searchParams.has(seqParam)) return null;
  if (!Number.isInteger(epoch) || !Number.isInteger(seq) || seq < 0) return null;
  return { epoch, seq };
}
