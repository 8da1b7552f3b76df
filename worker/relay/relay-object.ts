import { DurableObject } from "cloudflare:workers";
import { type BoardConfig, boardConfig } from "../board/config.ts";
import { boardOf } from "../board/shards.ts";
import { hubStub, shardStub } from "../board/stubs.ts";
import type { Env } from "../env.ts";
import type { RelayReport } from "../hub/relay-pool.ts";
import { boardLiveQueries } from "../live/board-live-queries.ts";
import { answerClose } from "../live/close-reply.ts";
import { continuing, type ReplaySource } from "../live/continuity.ts";
import type { LiveQueries } from "../live/live-queries.ts";
import { BoardMirror } from "../live/mirror.ts";
import { SocketQueries } from "../live/socket-queries.ts";
import { Tick } from "../live/tick.ts";
import { serveViewer, viewerMessage } from "../live/viewer-requests.ts";
import { emptyFlush, type Flush, VIEWER_TAG, Viewers } from "../live/viewers.ts";
import { PING, PONG, type ViewerCounts } from "../protocol/index.ts";

/**
 * A relay: serves viewers past its hub's share. It receives each of the hub's flushes once and sends them to its own
 * viewers (one frame per group and shard), with the same greeting, subscriptions, flow control and resume as the
 * hub; a gap it missed it reads from the shards. A relay without viewers gets nothing from the hub and hibernates.
 */
export class RelayObject extends DurableObject<Env> {
  private readonly config: BoardConfig;
  private readonly board: string;
  private readonly index: number;
  private readonly replay: ReplaySource;
  private live: Promise<Viewers> | null = null;
  private viewers: Viewers | null = null;
  /** Viewers' requests being served: the relay stays fed meanwhile (see `active`). */
  private requests = 0;
  private readonly tick: Tick;
  /** Live PromQL for this relay's sockets: one evaluation per (expression, step), fed the hub's flushes. */
  private readonly queries: LiveQueries;
  /** Its sockets' subscriptions to them, kept in their attachments across evictions. */
  private readonly socketQueries: SocketQueries;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.config = boardConfig(env);
    const name = ctx.id.name ?? "";
    this.board = boardOf(name);
    this.index = Number(name.slice(name.lastIndexOf(".") + 1));
    this.replay = {
      read: (sid, epoch, after, through, maxPoints) =>
        shardStub(env, this.board, sid).readBatches(epoch, after, through, maxPoints),
    };
    // Its own flushes are paced like the hub's: a relay holds many more viewers than a hub's share.
    this.tick = new Tick(this.config.tickMs, () => {
      const sent = this.viewers?.flush();
      if (sent) this.queries.feed(sent.shards);
      return this.viewers?.lastFlushMessages ?? 0;
    });
    this.queries = boardLiveQueries(
      env,
      this.board,
      () => hubStub(env, this.board).shardIds(),
      () => this.viewers,
      () => this.tick.run(),
    );
    this.socketQueries = new SocketQueries(this.queries, () => this.viewers);
    ctx.setWebSocketAutoResponse(new WebSocketRequestResponsePair(PING, PONG));
    // Sockets that outlived an eviction of this object go on with their live queries now, not at their next message.
    if (SocketQueries.holding(ctx.getWebSockets(VIEWER_TAG)))
      this.ready().catch((error) => console.error("live queries: could not restore", error));
  }

  /** The viewers, with the board's mirror as the hub has sent it. */
  private ready(): Promise<Viewers> {
    this.live ??= (async () => {
      const fresh = this.ctx.getWebSockets().length === 0;
      const state = await hubStub(this.env, this.board).relayState(this.index, fresh);
      this.viewers = new Viewers(this.ctx, new BoardMirror(state), {
        board: this.board,
        tickMs: this.config.tickMs,
        maxUnackedBytes: this.config.maxUnackedBytes,
        replay: this.replay,
        queued: () => this.tick.schedule(),
      });
      this.socketQueries.restore(this.ctx.getWebSockets(VIEWER_TAG));
      return this.viewers;
    })();
    this.live.catch(() => {
      this.live = null;
    });
    return this.live;
  }

  private get counts(): ViewerCounts {
    return (
      this.viewers?.viewersByTransport ?? { websocket: this.ctx.getWebSockets().length, sse: 0, poll: 0 }
    );
  }

  /**
   * One of the hub's flushes (or several, merged): continued shard by shard, then sent at this relay's tick. Answers the viewers; none
   * (idle) stops the hub's flushes, and the relay forgets its view until the next viewer rebuilds it.
   */
  async receive(flush: Flush): Promise<RelayReport> {
    if (!this.active) return this.reportIdle();
    const viewers = await this.ready();
    viewers.publish({ shards: [], series: flush.series, presence: flush.presence, alerts: flush.alerts });
    // Part by part, so each continues from what the previous one queued.
    for (const part of flush.shards) {
      const lastSeq = part.batches.at(-1)?.seq ?? 0;
      const next = await continuing(this.replay, viewers.queuedPosition(part.sid), part, lastSeq);
      if (next === "reset") viewers.resetAll("a shard's history was replaced; resume from a snapshot");
      else viewers.publish({ ...emptyFlush(), shards: [next] });
    }
    if (flush.release) {
      this.tick.run();
      viewers.releaseHeld();
    }
    return this.report;
  }

  /**
   * Whether this relay serves viewers it greeted (sockets that stayed connected through a hibernation too): what its
   * hub asks when it rebuilds its view. None after a runtime crash, whatever the hub's rows say.
   */
  async serving(): Promise<boolean> {
    return this.ctx.getWebSockets().length > 0 || (this.viewers !== null && !this.viewers.idle);
  }

  /**
   * Whether this relay wants the hub's flushes: it serves viewers, had some within the idle grace, or is building its
   * view for one or answering one's request (forgetting it then would leave that viewer on a view no flush reaches).
   */
  private get active(): boolean {
    if (this.ctx.getWebSockets().length > 0 || this.queries.watching || this.requests > 0) return true;
    return this.viewers ? !this.viewers.idle : this.live !== null;
  }

  private get report(): RelayReport {
    return { viewers: this.counts, active: this.active };
  }

  /**
   * Tells the hub this relay's viewers. An idle relay is no longer fed, so it forgets its view too: the next viewer
   * rebuilds it from the hub, instead of being greeted from positions flushes stopped advancing.
   */
  private sendReport(): Promise<void> {
    return hubStub(this.env, this.board).relayReport(
      this.index,
      this.active ? this.report : this.reportIdle(),
    );
  }

  private reportIdle(): RelayReport {
    this.live = null;
    this.viewers = null;
    return this.report;
  }

  /** A viewer the hub placed here. */
  override async fetch(request: Request): Promise<Response> {
    this.requests++;
    try {
      return await serveViewer(request, await this.ready());
    } finally {
      this.requests--;
      this.ctx.waitUntil(this.sendReport());
    }
  }

  override async webSocketMessage(socket: WebSocket, message: string | ArrayBuffer): Promise<void> {
    viewerMessage(await this.ready(), socket, message, this.socketQueries);
  }

  override async webSocketClose(socket: WebSocket, code: number, reason: string): Promise<void> {
    answerClose(socket, code, reason);
    this.socketQueries.left(socket);
    this.viewers?.leave(socket);
    await this.sendReport();
  }

  override async webSocketError(socket: WebSocket): Promise<void> {
    this.socketQueries.left(socket);
    this.viewers?.leave(socket);
    await this.sendReport();
  }
}
