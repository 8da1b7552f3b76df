import { DurableObject } from "cloudflare:workers";
import type { Env } from "../env.ts";
import type { PointColumns } from "../ingest/parse.ts";
import { isSelector, parseClientMessage, type StreamPosition, SUBPROTOCOL } from "../protocol/index.ts";
import { BatchLog } from "./batch-log.ts";
import { type BoardConfig, boardConfig } from "./board-config.ts";
import { LiveHub } from "./live-hub.ts";
import { META, SCHEMA } from "./schema.ts";
import { MAX_SERIES_PER_BOARD, SeriesCatalog } from "./series-catalog.ts";

/** Latest values are folded into `series` at most this often while batches arrive. */
const CHECKPOINT_INTERVAL_MS = 5_000;

export interface IngestRequest {
  device: string;
  points: PointColumns;
}

export type IngestResult =
  | { ok: true; accepted: number; seq: number }
  | { ok: false; status: 422; code: string; message: string; path: string };

/**
 * One board: durable batch log, series catalog with latest values, and live fan-out over hibernatable WebSockets.
 * All state is rebuilt from SQLite and socket attachments whenever the object wakes.
 */
export class BoardObject extends DurableObject<Env> {
  private readonly config: BoardConfig;
  private readonly sql: SqlStorage;
  private epoch = 0;
  private catalog!: SeriesCatalog;
  private log!: BatchLog;
  private hub!: LiveHub;
  private lastCheckpointAt = 0;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.config = boardConfig(env);
    this.sql = ctx.storage.sql;
    ctx.setWebSocketAutoResponse(new WebSocketRequestResponsePair("ping", "pong"));
    void ctx.blockConcurrencyWhile(async () => this.load());
  }

  /** Opens the schema and replays batches accepted after the last checkpoint. */
  private load(): void {
    this.sql.exec(SCHEMA);
    this.epoch = this.readMeta(META.epoch) ?? this.createEpoch();
    const checkpointSeq = this.readMeta(META.checkpointSeq) ?? 0;
    this.catalog = new SeriesCatalog(this.sql);
    this.log = new BatchLog(this.sql, checkpointSeq);
    for (const { batch } of this.log.read(checkpointSeq)) this.fold(batch.seriesIds, batch.ts, batch.values);
    this.lastCheckpointAt = Date.now();
    this.hub = new LiveHub(this.ctx, this.catalog, this.log, {
      board: this.ctx.id.name ?? "",
      epoch: this.epoch,
      tickMs: this.config.tickMs,
    });
  }

  private readMeta(key: string): number | null {
    const rows = this.sql.exec<{ value: number }>("SELECT value FROM meta WHERE key = ?", key).toArray();
    return rows[0]?.value ?? null;
  }

  private writeMeta(key: string, value: number): void {
    this.sql.exec(
      "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = ?",
      key,
      value,
      value,
    );
  }

  private createEpoch(): number {
    const epoch = crypto.getRandomValues(new Uint32Array(1))[0]! || 1;
    this.writeMeta(META.epoch, epoch);
    return epoch;
  }

  /** Stores a validated batch atomically (one log row, plus a row per new series) and queues it for viewers. */
  async ingest(request: IngestRequest): Promise<IngestResult> {
    const { points } = request;
    let result: IngestResult | undefined;
    this.ctx.storage.transactionSync(() => {
      const resolved = this.catalog.resolve(request.device, points.metrics);
      if (!resolved) {
        result = {
          ok: false,
          status: 422,
          code: "series_limit",
          message: `a board holds at most ${MAX_SERIES_PER_BOARD} series`,
          path: "points",
        };
        return;
      }
      const batch = {
        seriesIds: resolved.ids,
        ts: Float64Array.from(points.ts),
        values: Float64Array.from(points.values),
      };
      const seq = this.log.append(batch, Date.now());
      this.fold(batch.seriesIds, batch.ts, batch.values);
      this.hub.publish(seq, batch, resolved.created);
      result = { ok: true, accepted: batch.ts.length, seq };
    });
    this.maybeCheckpoint();
    return result!;
  }

  /** Applies points to in-memory state (latest values); replayed on wake for batches after the checkpoint. */
  private fold(seriesIds: Uint32Array, ts: Float64Array, values: Float64Array): void {
    for (let i = 0; i < seriesIds.length; i++) this.catalog.observe(seriesIds[i]!, ts[i]!, values[i]!);
  }

  private maybeCheckpoint(): void {
    if (Date.now() - this.lastCheckpointAt >= CHECKPOINT_INTERVAL_MS) this.checkpoint();
  }

  /** Persists in-memory state and the seq it covers, atomically: a wake-up replays exactly what follows. */
  checkpoint(): void {
    this.ctx.storage.transactionSync(() => {
      this.catalog.checkpoint();
      this.writeMeta(META.checkpointSeq, this.log.lastSeq);
    });
    this.lastCheckpointAt = Date.now();
  }

  /** Live WebSocket: the Worker has checked the upgrade and the viewer's credential. */
  override async fetch(request: Request): Promise<Response> {
    const url = new URL(request.url);
    const selectors = url.searchParams.getAll("series").filter(isSelector);
    const pair = new WebSocketPair();
    this.hub.connect(pair[1], selectors.length > 0 ? selectors : ["*"], resumePosition(url));
    return new Response(null, {
      status: 101,
      webSocket: pair[0],
      headers: { "sec-websocket-protocol": SUBPROTOCOL },
    });
  }

  override async webSocketMessage(socket: WebSocket, message: string | ArrayBuffer): Promise<void> {
    if (typeof message !== "string") {
      socket.send(JSON.stringify({ type: "error", code: "binary_not_accepted", message: "send JSON text" }));
      return;
    }
    const parsed = parseClientMessage(message);
    if ("error" in parsed)
      socket.send(JSON.stringify({ type: "error", code: "bad_message", message: parsed.error }));
    else this.hub.handle(socket, parsed);
  }

  override async webSocketClose(socket: WebSocket): Promise<void> {
    this.hub.leave(socket);
  }

  override async webSocketError(socket: WebSocket): Promise<void> {
    this.hub.leave(socket);
  }
}

/** `?epoch=&seq=` on a reconnect names the last position the client saw. */
function resumePosition(url: URL): StreamPosition | null {
  const epoch = Number(url.searchParams.get("epoch"));
  const seq = Number(url.searchParams.get("seq"));
  if (!url.searchParams.has("epoch") || !Number.isInteger(epoch) || !Number.isInteger(seq) || seq < 0)
    return null;
  return { epoch, seq };
}
