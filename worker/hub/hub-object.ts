import { DurableObject } from "cloudflare:workers";
import { type BoardConfig, boardConfig } from "../board/config.ts";
import {
  type BoardPolicy,
  effectiveLimits,
  type LimitsPatch,
  patchLimits,
  principal,
} from "../board/policy.ts";
import { PolicyStore } from "../board/policy-store.ts";
import { boardOf, shardSid } from "../board/shards.ts";
import { relayStub, shardStub } from "../board/stubs.ts";
import { DashboardStore, type SaveResult } from "../dashboards/dashboard-store.ts";
import type { Env } from "../env.ts";
import { boardLiveQueries } from "../live/board-live-queries.ts";
import { answerClose } from "../live/close-reply.ts";
import { continuing, type ReplaySource } from "../live/continuity.ts";
import type { LiveQueries } from "../live/live-queries.ts";
import { BoardMirror, type MirrorState } from "../live/mirror.ts";
import { SocketQueries } from "../live/socket-queries.ts";
import { Tick } from "../live/tick.ts";
import {
  QUERY_STREAM_PATH,
  serveQueryStream,
  serveViewer,
  tooMany,
  viewerMessage,
} from "../live/viewer-requests.ts";
import { emptyFlush, VIEWER_TAG, Viewers } from "../live/viewers.ts";
import type { Dashboard, DashboardSummary, DashboardVersionInfo } from "../protocol/dashboards.ts";
import type {
  ActiveAlert,
  AdminAlertRule,
  AdminDevice,
  AdminPolicy,
  AlertEvent,
  AlertRuleSpec,
  PromqlAlertRule,
} from "../protocol/index.ts";
import {
  ALERT_LIMITS,
  type BoardStats,
  type HistoryResult,
  PING,
  PONG,
  toBase64Url,
} from "../protocol/index.ts";
import { BoardRules } from "../rules/board-rules.ts";
import type { GroupState } from "../rules/evaluate-group.ts";
import { type RuleGroup, ruleFileName } from "../rules/rule-file.ts";
import { type AlertingConfig, RuleStore, type StoredRules } from "../rules/rule-store.ts";
import type { HistoryError, HistoryRequest } from "../shard/history.ts";
import type { ShardPush } from "../shard/hub-outbox.ts";
import { MAX_SERIES_PER_SHARD } from "../shard/series-catalog.ts";
import type { SeriesSummary, ShardHistory } from "../shard/shard-api.ts";
import { HubLedger } from "./hub-ledger.ts";
import { mergeHistory, mergeSeries, mergeStats } from "./merge.ts";
import { RelayPool, type RelayReport } from "./relay-pool.ts";
import { ruleHost } from "./rule-host.ts";
import { ShardRegistry } from "./shard-registry.ts";

/**
 * A board's hub: the one place its viewers (and relays) get live data from. Shards push their accepted batches
 * while the hub has viewers; the hub keeps each shard's stream contiguous (see `continuing`), coalesces per tick,
 * sends one frame per group and shard, and forwards each flush to its relays. Past its share of viewers it places
 * new ones on relays. Queries and stats fan out to the shards and merge. Its view of the board is rebuilt from the
 * shards when it wakes; it stores only which shards and relays exist.
 */
export class HubObject extends DurableObject<Env> {
  private readonly config: BoardConfig;
  private readonly board: string;
  private readonly ledger: HubLedger;
  private readonly registry: ShardRegistry;
  private readonly policies: PolicyStore;
  private readonly relays: RelayPool;
  private readonly boards: DashboardStore;
  private readonly tick: Tick;
  private readonly replay: ReplaySource;
  private readonly rules: BoardRules;
  /** Live PromQL: one evaluation per (expression, step) for this hub's viewers. */
  private readonly queries: LiveQueries;
  /** Its sockets' subscriptions to them, kept in their attachments across evictions. */
  private readonly socketQueries: SocketQueries;
  /** The mirror and viewers, built from the shards on first need after a wake. */
  private live: Promise<Viewers> | null = null;
  private viewers: Viewers | null = null;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.config = boardConfig(env);
    this.board = boardOf(ctx.id.name ?? "");
    const layout = Array.from({ length: this.config.shards }, (_, i) => shardSid(this.config.shards, i));
    this.ledger = new HubLedger(ctx.storage.sql);
    this.registry = new ShardRegistry(ctx.storage.sql, this.ledger, layout);
    this.policies = new PolicyStore(ctx.storage.sql, (change) => this.ledger.record(change));
    this.boards = new DashboardStore(ctx.storage.sql, (change) => this.ledger.record(change));
    const relay = (index: number) => relayStub(env, this.board, index);
    this.relays = new RelayPool(ctx.storage.sql, this.ledger, relay, this.config.viewersPerObject);
    this.tick = new Tick(this.config.tickMs, () => this.flush());
    this.replay = {
      read: (sid, epoch, after, through, maxPoints) =>
        shardStub(env, this.board, sid).readBatches(epoch, after, through, maxPoints),
    };
    const rules = new RuleStore(ctx.storage.sql, (change) => this.ledger.record(change));
    const host = ruleHost(
      env,
      this.board,
      () => this.registry.all(),
      this.config.shards,
      async (alerts) => {
        if (alerts.length > 0 && this.watched) (await this.ready()).publish({ ...emptyFlush(), alerts });
      },
    );
    this.rules = new BoardRules(rules, host, ruleFileName(this.board));
    this.queries = boardLiveQueries(
      env,
      this.board,
      async () => this.registry.all(),
      () => this.viewers,
      () => this.tick.run(),
    );
    this.socketQueries = new SocketQueries(this.queries, () => this.viewers);
    ctx.setWebSocketAutoResponse(new WebSocketRequestResponsePair(PING, PONG));
    // Sockets that outlived an eviction of this object go on with their live queries now, not at their next message.
    if (SocketQueries.holding(ctx.getWebSockets(VIEWER_TAG)))
      this.ready().catch((error) => console.error("live queries: could not restore", error));
  }

  /**
   * Whether anyone watches: sockets, streams, recent polls, or a relay's viewers. Built viewers count sockets that
   * stayed connected through a hibernation; before they are built, the runtime's list of sockets does, and a view
   * being built counts (a viewer is on its way: a shard told to stop now would not push to it).
   */
  private get watched(): boolean {
    if (this.relays.active || this.queries.watching) return true;
    if (this.viewers) return !this.viewers.idle;
    return this.live !== null || this.ctx.getWebSockets().length > 0;
  }

  /** Nobody watches: forget the board's view. The next viewer rebuilds it from the shards (which attaches them). */
  private forget(): void {
    this.live = null;
    this.viewers = null;
  }

  /** The viewers, with the board's mirror built from every shard's snapshot (which attaches them). */
  private ready(): Promise<Viewers> {
    this.live ??= (async () => {
      // Sockets that stayed connected through a hibernation (here or on relays) have had frames; a new view has none.
      // After a runtime crash no socket is left anywhere, though relays' rows are: each relay says if it serves.
      const fresh = this.ctx.getWebSockets().length === 0 && !(await this.relays.anyServing());
      const snapshots = await Promise.all(
        this.registry.all().map((sid) => shardStub(this.env, this.board, sid).snapshot(fresh)),
      );
      const mirror = BoardMirror.fromSnapshots(snapshots);
      this.relays.rebuilt(mirror.positions());
      this.viewers = new Viewers(this.ctx, mirror, {
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

  /** A shard was created: queries and viewers include it from now on; it takes the board's policy. */
  async registerShard(sid: number): Promise<BoardPolicy> {
    this.registry.add(sid);
    return this.policies.policy;
  }

  /** The board's limits (in effect, and those an admin set) and its revoked credentials. */
  async policy(): Promise<AdminPolicy> {
    const { policy } = this.policies;
    return { limits: effectiveLimits(policy, this.config), set: policy.limits, revoked: policy.revoked };
  }

  /** An admin changed limits: stored here, then handed to every shard before the answer. */
  async setLimits(patch: LimitsPatch): Promise<AdminPolicy> {
    this.policies.setLimits(patchLimits(this.policies.policy.limits, patch));
    await this.spreadPolicy();
    return this.policy();
  }

  /** An admin revoked or restored a credential; every shard refuses or accepts it before the answer. */
  async setRevoked(principal: string, revoked: boolean): Promise<AdminPolicy> {
    this.policies.setRevoked(principal, revoked);
    await this.spreadPolicy();
    return this.policy();
  }

  /** Every device that posted to the board, with its series and whether it is revoked. */
  async devices(): Promise<AdminDevice[]> {
    const parts = await Promise.all(
      this.registry.all().map((sid) => shardStub(this.env, this.board, sid).devices()),
    );
    const byDevice = new Map<string, AdminDevice>();
    for (const device of parts.flat()) {
      const known = byDevice.get(device.device);
      const revoked = this.policies.isRevoked(principal("device", device.device));
      byDevice.set(device.device, {
        device: device.device,
        online: device.online || (known?.online ?? false),
        lastSeen: Math.max(device.lastSeen, known?.lastSeen ?? 0),
        series: device.series + (known?.series ?? 0),
        revoked,
      });
    }
    return [...byDevice.values()].sort((a, b) => a.device.localeCompare(b.device));
  }

  /**
   * The board's threshold rules, oldest first, the rule file's alerting rules, and the alerts that hold now: on every
   * shard, and the rule file's.
   */
  async alerts(): Promise<{
    rules: AdminAlertRule[];
    promqlRules: PromqlAlertRule[];
    active: ActiveAlert[];
  }> {
    const active = await Promise.all(
      this.registry.all().map((sid) => shardStub(this.env, this.board, sid).activeAlerts()),
    );
    return {
      rules: this.policies.policy.alerts,
      promqlRules: this.rules.alertingRules(),
      active: [...active.flat(), ...this.rules.activeAlerts()],
    };
  }

  /**
   * An admin added a rule: it gets an id (and a secret to sign its webhooks with), and every shard evaluates it
   * before the answer. Null when the board has ALERT_LIMITS.maxRules already.
   */
  async addAlertRule(spec: AlertRuleSpec): Promise<AdminAlertRule | null> {
    if (this.policies.policy.alerts.length >= ALERT_LIMITS.maxRules) return null;
    const random = (bytes: number) => toBase64Url(crypto.getRandomValues(new Uint8Array(bytes)));
    const rule: AdminAlertRule = { ...spec, id: `rule_${random(9)}`, createdAt: Date.now() };
    if (spec.webhook) rule.webhookSecret = `whsec_${random(24)}`;
    this.policies.addRule(rule);
    await this.spreadPolicy();
    return rule;
  }

  /** An admin deleted a rule; its alerts resolve on every shard before the answer. False for an unknown id. */
  async deleteAlertRule(id: string): Promise<boolean> {
    if (!this.policies.deleteRule(id)) return false;
    await this.spreadPolicy();
    return true;
  }

  /**
   * Alert transitions at or after `from` over every shard and the rule file's, oldest first (or newest first), at
   * most `limit`.
   */
  async alertEvents(
    from: number,
    limit: number,
    newestFirst: boolean,
  ): Promise<{ events: AlertEvent[]; truncated: boolean }> {
    const parts = await Promise.all(
      this.registry
        .all()
        .map((sid) => shardStub(this.env, this.board, sid).alertEvents(from, limit + 1, newestFirst)),
    );
    parts.push(this.rules.transitions(from, limit + 1, newestFirst));
    const sign = newestFirst ? -1 : 1;
    const events = parts.flat().sort((a, b) => sign * (a.at - b.at || a.sid - b.sid || a.seq - b.seq));
    return { events: events.slice(0, limit), truncated: events.length > limit };
  }

  /** The board's saved dashboards, by title. */
  async dashboards(): Promise<DashboardSummary[]> {
    return this.boards.list();
  }

  /** A dashboard as saved (at `version`, its current one when omitted); null when there is none. */
  async dashboard(uid: string, version?: number): Promise<Dashboard | null> {
    return this.boards.get(uid, version);
  }

  /** A dashboard's kept versions, newest first; null for an unknown uid. */
  async dashboardVersions(uid: string): Promise<DashboardVersionInfo[] | null> {
    return this.boards.versions(uid);
  }

  /** An admin saved a dashboard over the version it names (see `DashboardStore.save`). */
  async saveDashboard(dashboard: Dashboard): Promise<SaveResult> {
    return this.boards.save(dashboard);
  }

  async deleteDashboard(uid: string): Promise<boolean> {
    return this.boards.delete(uid);
  }

  private async spreadPolicy(): Promise<void> {
    this.policies.bump();
    const { policy } = this.policies;
    await Promise.all(
      this.registry.all().map((sid) => shardStub(this.env, this.board, sid).applyPolicy(policy)),
    );
  }

  /**
   * A shard's accepted batches: queued for viewers once they follow on from what viewers have (see `continuing`).
   * The answer comes once they are queued, not flushed, so the shard's next push overlaps this tick; a pending flush
   * keeps the hub from hibernating, so what a shard saw acknowledged reaches viewers unless the runtime restarts,
   * which closes their sockets too. With nobody watching, the shard is told to stop pushing.
   */
  async push(push: ShardPush): Promise<{ attached: boolean }> {
    if (!this.watched) {
      this.forget();
      return { attached: false };
    }
    const viewers = await this.ready();
    if (push.presence.length > 0) viewers.queuePresence(push.presence);
    const incoming = { sid: push.sid, epoch: push.epoch, batches: push.batches };
    const next = await continuing(this.replay, viewers.queuedPosition(push.sid), incoming, push.lastSeq);
    if (next === "reset") {
      viewers.resetAll("a shard's history was replaced; resume from a snapshot");
      viewers.publish({ ...emptyFlush(), alerts: push.alerts });
    } else viewers.publish({ shards: [next], series: push.series, presence: [], alerts: push.alerts });
    return { attached: true };
  }

  /** Sends what is queued to this hub's viewers, and to the relays' (a call each). Returns the messages sent. */
  private flush(): number {
    if (!this.viewers) return 0;
    const sent = this.viewers.flush();
    this.queries.feed(sent.shards);
    const { shards, series, presence, alerts } = sent;
    if (shards.length + series.length + presence.length + alerts.length === 0)
      return this.viewers.lastFlushMessages;
    this.relays.forward(sent);
    return this.viewers.lastFlushMessages + this.relays.activeCount;
  }

  /**
   * What a relay needs to greet its viewers: the board as the hub's viewers were sent it. A relay rebuilding its view
   * under viewers that stayed connected (not `fresh`) starts from what it acknowledged: later flushes follow on.
   */
  async relayState(index: number, fresh: boolean): Promise<MirrorState> {
    const viewers = await this.ready();
    const state = viewers.mirrorState();
    if (fresh) return state;
    return {
      ...state,
      positions: this.relays.deliveredTo(index, state.positions),
      unsure: viewers.heldAtMost(),
    };
  }

  /** A relay's viewers changed. */
  async relayReport(index: number, report: RelayReport): Promise<void> {
    this.relays.report(index, report);
  }

  /**
   * History over every shard. While viewers watch, each shard first pushes what it stored, and the hub flushes
   * before answering: frames sent after the answer hold only batches after its positions.
   */
  async history(request: HistoryRequest): Promise<HistoryResult | HistoryError> {
    const align = this.watched;
    const parts: Array<ShardHistory | HistoryError> = await Promise.all(
      this.registry.all().map((sid) => shardStub(this.env, this.board, sid).history(request, align)),
    );
    const failed = parts.find((part) => "error" in part);
    if (failed) return failed;
    if (align) {
      this.tick.run();
      this.viewers?.releaseHeld();
      this.relays.forward({ ...emptyFlush(), release: true });
    }
    const merged = mergeHistory(parts.filter((part): part is ShardHistory => !("error" in part)));
    if ("error" in merged)
      return { error: { code: "too_many_series", message: merged.error, path: "series" } };
    return merged;
  }

  /** The board's rule file and each group's last evaluation (the rules API and Prometheus's `/api/v1/rules`). */
  async ruleFile(): Promise<StoredRules & { states: Record<string, GroupState> }> {
    return { ...this.rules.rules, states: Object.fromEntries(this.rules.states()) };
  }

  /** An admin replaced the rule file: groups are evaluated from their next interval on, by the alarm. */
  async setRuleFile(groups: RuleGroup[], externalUrl: string): Promise<void> {
    await this.rules.replace(groups, externalUrl);
    await this.armRules();
  }

  async alerting(): Promise<AlertingConfig> {
    return this.rules.alerting();
  }

  async setAlerting(config: AlertingConfig): Promise<void> {
    this.rules.setAlerting(config);
  }

  /** The alarm runs the rule groups due; the hub hibernates between evaluations. */
  override async alarm(): Promise<void> {
    await this.armRules(await this.rules.evaluateDue(Date.now()));
  }

  private async armRules(states?: Map<string, GroupState>): Promise<void> {
    const next = this.rules.nextDue(Date.now(), states);
    if (next === null) await this.ctx.storage.deleteAlarm();
    else await this.ctx.storage.setAlarm(next);
  }

  /** Every shard holding the board's data (each layout's), for the Prometheus API, which fans out from the Worker. */
  async shardIds(): Promise<number[]> {
    return this.registry.all();
  }

  async listSeries(): Promise<SeriesSummary[]> {
    return mergeSeries(
      await Promise.all(this.registry.all().map((sid) => shardStub(this.env, this.board, sid).listSeries())),
    );
  }

  async stats(): Promise<BoardStats> {
    const shards = await Promise.all(
      this.registry.all().map((sid) => shardStub(this.env, this.board, sid).stats()),
    );
    const local = this.viewers?.viewersByTransport ?? {
      websocket: this.ctx.getWebSockets().length,
      sse: 0,
      poll: 0,
    };
    const relayed = this.relays.counts;
    const viewers = {
      websocket: local.websocket + relayed.websocket,
      sse: local.sse + relayed.sse,
      poll: local.poll + relayed.poll,
    };
    const layout = { current: this.config.shards, seriesLimit: MAX_SERIES_PER_SHARD * this.config.shards };
    const hub = { ...layout, rowsWritten: this.ledger.rowsWritten };
    return mergeStats(this.board, shards, hub, viewers, this.queries.counts);
  }

  /** A viewer (the Worker checked it): served here while the hub has room, else on a relay. */
  override async fetch(request: Request): Promise<Response> {
    const local = this.viewers?.viewerCount ?? this.ctx.getWebSockets().length;
    const { viewers: limit } = effectiveLimits(this.policies.policy, this.config);
    const relayed = this.relays.counts;
    if (local + relayed.websocket + relayed.sse + relayed.poll >= limit) {
      return tooMany("viewer_limit", `this board takes at most ${limit} viewers`, 30);
    }
    // Live PromQL streams stay on the hub: its evaluations are shared by all of them (relays serve sockets' queries).
    if (new URL(request.url).pathname === QUERY_STREAM_PATH)
      return serveQueryStream(request, await this.ready(), this.queries);
    if (local >= this.config.viewersPerObject) {
      const index = this.relays.place();
      return relayStub(this.env, this.board, index).fetch(request);
    }
    return serveViewer(request, await this.ready());
  }

  override async webSocketMessage(socket: WebSocket, message: string | ArrayBuffer): Promise<void> {
    viewerMessage(await this.ready(), socket, message, this.socketQueries);
  }

  override async webSocketClose(socket: WebSocket, code: number, reason: string): Promise<void> {
    answerClose(socket, code, reason);
    this.socketQueries.left(socket);
    this.viewers?.leave(socket);
    this.viewers?.queuePresence([]);
  }

  override async webSocketError(socket: WebSocket): Promise<void> {
    this.socketQueries.left(socket);
    this.viewers?.leave(socket);
  }
}
