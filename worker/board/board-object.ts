import { DurableObject } from "cloudflare:workers";
import type { Env } from "../env.ts";
import { INGEST_LIMITS } from "../ingest/limits.ts";
import type { PointColumns } from "../ingest/parse.ts";
import {
  ALL_SERIES,
  type DevicePresence,
  type HistoryResult,
  isSelector,
  PING,
  PONG,
  parseClientMessage,
  parseEventId,
  type StreamPosition,
} from "../protocol/index.ts";
import { BatchLog, type LoggedBatch } from "./batch-log.ts";
import { type BoardConfig, boardConfig } from "./board-config.ts";
import { DeviceRates } from "./device-rates.ts";
import { type HistoryRequest, queryHistory } from "./history.ts";
import { LiveHub } from "./live-hub.ts";
import { Meta } from "./meta.ts";
import { Presence } from "./presence.ts";
import { Retention } from "./retention.ts";
import { Rollups } from "./rollups.ts";
import { META, SCHEMA } from "./schema.ts";
import { MAX_SERIES_PER_BOARD, SeriesCatalog } from "./series-catalog.ts";

/** In-memory state is folded into SQLite at most this often while batches arrive. */
const CHECKPOINT_INTERVAL_MS = 5_000;
/** A long poll with nothing to say answers after at most this long. */
export const MAX_POLL_WAIT_MS = 25_000;

export interface IngestRequest {
  device: string;
  points: PointColumns;
}

export type IngestResult =
  | { ok: true; accepted: number; seq: number }
  | { ok: false; status: 422; code: string; message: string; path: string }
  | { ok: false; status: 429; code: string; message: string; retryAfterMs: number };

/** Per-device request limits count over windows this long. */
export const DEVICE_RATE_WINDOW_MS = 10_000;

export interface SeriesSummary {
  device: string;
  metric: string;
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
  private readonly sql: SqlStorage;
  private epoch = 0;
  private catalog!: SeriesCatalog;
  private log!: BatchLog;
  private rollups!: Rollups;
  private presence!: Presence;
  private hub!: LiveHub;
  private checkpointSeq = 0;
  /** Raw points stored as of the last checkpoint; retention changes it without new batches. */
  private checkpointPoints = 0;
  private lastCheckpointAt = 0;
  private alarmAt: number | null = null;
  private retention!: Retention;
  private readonly rates: DeviceRates;
  private meta!: Meta;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.config = boardConfig(env);
    this.sql = ctx.storage.sql;
    this.rates = new DeviceRates(this.config.deviceRequestsPer10s, DEVICE_RATE_WINDOW_MS);
    ctx.setWebSocketAutoResponse(new WebSocketRequestResponsePair(PING, PONG));
    void ctx.blockConcurrencyWhile(async () => {
      this.load();
      this.alarmAt = await ctx.storage.getAlarm();
    });
  }

  /** Opens the schema and replays the batches accepted after the last checkpoint. */
  private load(): void {
    this.sql.exec(SCHEMA);
    this.meta = new Meta(this.sql);
    this.epoch = this.meta.get(META.epoch) ?? this.createEpoch();
    this.checkpointSeq = this.meta.get(META.checkpointSeq) ?? 0;
    this.catalog = new SeriesCatalog(this.sql);
    this.checkpointPoints = this.meta.get(META.rawPoints) ?? 0;
    this.log = new BatchLog(this.sql, this.checkpointSeq, this.checkpointPoints);
    this.rollups = new Rollups(this.sql);
    this.retention = new Retention(this.log, this.rollups, this.catalog, this.config);
    this.presence = new Presence(this.sql, this.config.presenceTimeoutMs);
    for (const logged of this.log.read(this.checkpointSeq)) this.fold(logged);
    this.lastCheckpointAt = Date.now();
    this.hub = new LiveHub(this.ctx, this.catalog, this.log, {
      board: this.ctx.id.name ?? "",
      epoch: this.epoch,
      tickMs: this.config.tickMs,
      maxUnackedBytes: this.config.maxUnackedBytes,
      afterFlush: () => this.maybeCheckpoint(Date.now()),
    });
  }

  private createEpoch(): number {
    const epoch = crypto.getRandomValues(new Uint32Array(1))[0]! || 1;
    this.meta.set(META.epoch, epoch);
    return epoch;
  }

  /** Applies a logged batch to the in-memory state; returns the device if it just came online. */
  private fold({ batch, receivedAt }: LoggedBatch): DevicePresence | null {
    const { seriesIds, ts, values } = batch;
    for (let i = 0; i < seriesIds.length; i++) {
      this.catalog.observe(seriesIds[i]!, ts[i]!, values[i]!);
      this.rollups.add(seriesIds[i]!, ts[i]!, values[i]!);
    }
    const device = this.catalog.get(seriesIds[0]!)?.device;
    return device === undefined ? null : this.presence.seen(device, receivedAt);
  }

  /** Stores a validated batch atomically (one log row, plus one per new series) and queues it for viewers. */
  async ingest(request: IngestRequest): Promise<IngestResult> {
    const { points } = request;
    const receivedAt = Date.now();
    const retryAfterMs = this.rates.take(request.device, receivedAt);
    if (retryAfterMs > 0) {
      const message = `device ${request.device} sent more than ${this.config.deviceRequestsPer10s} requests in 10 s`;
      return { ok: false, status: 429, code: "rate_limited", message, retryAfterMs };
    }
    const stored = this.ctx.storage.transactionSync(() => {
      const resolved = this.catalog.resolve(request.device, points.metrics, points.metricIndex);
      if (!resolved) return null;
      const batch = { seriesIds: resolved.ids, ts: points.ts, values: points.values };
      return { batch, created: resolved.created, seq: this.log.append(batch, receivedAt) };
    });
    if (!stored) {
      const message = `a board holds at most ${MAX_SERIES_PER_BOARD} series`;
      return { ok: false, status: 422, code: "series_limit", message, path: "points" };
    }
    const { batch, created, seq } = stored;
    const cameOnline = this.fold({ seq, receivedAt, batch });
    this.hub.publish(seq, batch, created, cameOnline ? [cameOnline] : []);
    // While a tick is pending the checkpoint waits for its flush, so it never delays frames already due.
    if (!this.hub.flushScheduled) this.maybeCheckpoint(receivedAt);
    await this.ensureAlarm(receivedAt, receivedAt + this.config.presenceTimeoutMs);
    return { ok: true, accepted: batch.ts.length, seq };
  }

  private maybeCheckpoint(now: number): void {
    if (now - this.lastCheckpointAt >= CHECKPOINT_INTERVAL_MS) this.checkpoint();
  }

  /** Persists in-memory state and the seq it covers, atomically: a wake-up replays exactly what follows. */
  checkpoint(): void {
    const clean =
      this.checkpointSeq === this.log.lastSeq &&
      this.checkpointPoints === this.log.points &&
      !this.presence.changed;
    if (!clean) {
      this.ctx.storage.transactionSync(() => {
        this.catalog.checkpoint();
        this.rollups.checkpoint();
        this.presence.checkpoint();
        this.meta.set(META.checkpointSeq, this.log.lastSeq);
        this.meta.set(META.rawPoints, this.log.points);
      });
      this.checkpointSeq = this.log.lastSeq;
      this.checkpointPoints = this.log.points;
    }
    this.lastCheckpointAt = Date.now();
  }

  /**
   * Aggregated history of some series; see `queryHistory`. Pending live points are flushed first, so the answer
   * holds exactly the batches up to its `seq`: a client splices live frames after it without gap or duplicate.
   */
  async history(request: HistoryRequest): Promise<HistoryResult> {
    this.hub.flush();
    this.checkpoint();
    const ids = request.series.map(({ device, metric }) => this.catalog.find(device, metric)?.id);
    const now = Date.now();
    // A point with timestamp t was received no earlier than t minus the allowed clock skew.
    const earliestReceipt = (ts: number) => ts - INGEST_LIMITS.maxFutureMs;
    return {
      ...this.hub.position,
      ...queryHistory(request, ids, this.rollups, this.log, earliestReceipt, now),
    };
  }

  /** The series catalog with last values, recent rate and device presence. */
  async listSeries(): Promise<SeriesSummary[]> {
    this.checkpoint();
    const now = Date.now();
    const online = new Map(this.presence.list().map((p) => [p.device, p.online]));
    return this.catalog.all().map((def) => {
      return {
        device: def.device,
        metric: def.metric,
        last: this.catalog.state(def).last ?? null,
        pointsLastMinute: this.rollups.countSince(def.id, now - 60_000),
        online: online.get(def.device) ?? false,
      };
    });
  }

  /** Retention and presence deadlines; see `compact`. */
  override async alarm(): Promise<void> {
    await this.compact(Date.now());
  }

  /**
   * Marks silent devices offline, then deletes expired raw batches and rollup buckets in bounded chunks
   * (raw batches only once checkpointed, so nothing acknowledged is lost). Re-arms the alarm.
   */
  async compact(now: number): Promise<void> {
    this.alarmAt = null;
    this.checkpoint();
    const offline = this.presence.expire(now);
    if (offline.length > 0) this.hub.queuePresence(offline);
    const backlog = this.retention.run(now, this.checkpointSeq);
    this.checkpoint();
    await this.ensureAlarm(now, backlog ? now : undefined);
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
    await this.ctx.storage.setAlarm(next);
  }

  /** Live transports; the Worker has checked the request and the viewer's credential. */
  override async fetch(request: Request): Promise<Response> {
    const url = new URL(request.url);
    const selectors = url.searchParams.getAll("series").filter(isSelector);
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
