import type { AlertEvent, DevicePresence, SeriesDef } from "../protocol/index.ts";
import type { StoredBatch } from "./batch-codec.ts";

/**
 * What a shard sends its board's hub: batches in seq order (series ids board-wide), new series, presence changes,
 * alert transitions.
 */
export interface ShardPush {
  sid: number;
  epoch: number;
  /** The shard's newest seq: the hub reads from the log whatever it lacks up to here. */
  lastSeq: number;
  batches: Array<{ seq: number; receivedAt: number; batch: StoredBatch }>;
  series: SeriesDef[];
  presence: DevicePresence[];
  alerts: AlertEvent[];
}

/**
 * Pushes a hub takes a second from all its shards together, far under an object's ~1,000 requests/s: each shard
 * waits `shards / HUB_PUSHES_PER_SECOND` between pushes (2 ms alone, half a second among 250), coalescing more.
 */
export const HUB_PUSHES_PER_SECOND = 500;

/** Past this many queued points (the hub unreachable for long) the queue is dropped; the hub refills from the log. */
const MAX_QUEUED_POINTS = 200_000;

/**
 * Pushes a shard's accepted batches to its board's hub while the hub has viewers ("attached"), one push in flight
 * at a time, and pushes of all the board's shards together at most HUB_PUSHES_PER_SECOND: batches that arrive
 * meanwhile go together in the next one. A push that fails is retried with what followed it. The hub drops batches it already has and reads any it missed from this shard's log, so a crash on
 * either side loses nothing (see HubObject.push).
 */
export class HubOutbox {
  private readonly push: (push: ShardPush) => Promise<{ attached: boolean }>;
  private readonly sid: number;
  private readonly epoch: number;
  private readonly lastSeq: () => number;
  /** Whether the hub wants batches; a new outbox assumes so until the hub's first answer. */
  attached = true;
  /** The newest seq the hub acknowledged. */
  pushedSeq: number;
  /** Counts attachments: a "detached" answer to a push sent before the latest one is stale (see `kick`). */
  private attachments = 0;
  private queued: Pick<ShardPush, "batches" | "series" | "presence" | "alerts"> = {
    batches: [],
    series: [],
    presence: [],
    alerts: [],
  };
  private queuedPoints = 0;
  private inFlight: Promise<void> | null = null;
  private readonly minIntervalMs: number;
  private lastPushAt = 0;
  private paced: ReturnType<typeof setTimeout> | undefined;

  /** `shards`: how many shards of the board's layout push to the same hub. */
  constructor(
    push: (push: ShardPush) => Promise<{ attached: boolean }>,
    shard: { sid: number; epoch: number; lastSeq: () => number; shards: number },
    pushedSeq: number,
  ) {
    this.push = push;
    this.sid = shard.sid;
    this.epoch = shard.epoch;
    this.lastSeq = shard.lastSeq;
    this.pushedSeq = pushedSeq;
    this.minIntervalMs = (shard.shards * 1000) / HUB_PUSHES_PER_SECOND;
  }

  /** Whether batches the hub has not acknowledged are waiting (a push failed): the alarm retries. */
  get behind(): boolean {
    return this.attached && this.pushedSeq < this.lastSeq();
  }

  /** The hub has viewers again: pushing starts after `lastSeq` (what came before, viewers get from the log). */
  attach(lastSeq: number): void {
    this.attached = true;
    this.attachments++;
    this.pushedSeq = lastSeq;
    this.clear();
  }

  private detach(): void {
    this.attached = false;
    this.clear();
  }

  private clear(): void {
    this.queued = { batches: [], series: [], presence: [], alerts: [] };
    this.queuedPoints = 0;
  }

  /** Queues what an accepted batch (or the alarm) changed, and pushes it unless a push is in flight. */
  enqueue(
    batch: { seq: number; receivedAt: number; batch: StoredBatch } | null,
    series: SeriesDef[],
    presence: DevicePresence[],
    alerts: AlertEvent[] = [],
  ): void {
    if (!this.attached) return;
    if (batch) {
      this.queued.batches.push(batch);
      this.queuedPoints += batch.batch.ts.length;
    }
    this.queued.series.push(...series);
    this.queued.presence.push(...presence);
    this.queued.alerts.push(...alerts);
    if (this.queuedPoints > MAX_QUEUED_POINTS) this.clear();
    this.kick();
  }

  /**
   * Starts a push of everything queued (or, after a failed push, of the shard's position alone, so the hub reads
   * what it lacks), unless one is in flight. A push that succeeds starts the next; after a failure the next batch
   * or the alarm does.
   */
  kick(): void {
    if (this.inFlight || this.paced !== undefined || !this.attached) return;
    const { batches, series, presence, alerts } = this.queued;
    const empty = batches.length + series.length + presence.length + alerts.length === 0;
    if (empty && !this.behind) return;
    const wait = this.lastPushAt + this.minIntervalMs - Date.now();
    if (wait > 0) {
      this.paced = setTimeout(() => {
        this.paced = undefined;
        this.kick();
      }, wait);
      return;
    }
    this.lastPushAt = Date.now();
    this.clear();
    const lastSeq = this.lastSeq();
    const attachments = this.attachments;
    let failed = false;
    this.inFlight = this.push({
      sid: this.sid,
      epoch: this.epoch,
      lastSeq,
      batches,
      series,
      presence,
      alerts,
    })
      .then(
        ({ attached }) => {
          this.pushedSeq = Math.max(this.pushedSeq, lastSeq);
          // The hub answers "detached" once nobody watches; a hub that attached this shard since then wants pushes.
          if (!attached && attachments === this.attachments) this.detach();
        },
        (error) => {
          failed = true;
          console.warn(
            `shard ${this.sid}: push to the hub failed; it will read the missed batches from the log`,
            error,
          );
        },
      )
      .finally(() => {
        this.inFlight = null;
        if (!failed) this.kick();
      });
  }

  /**
   * Pushes everything stored so far without waiting for its turn, and resolves once the hub has acknowledged it (or
   * a push failed, or the hub has no viewers).
   */
  async drain(): Promise<void> {
    for (;;) {
      if (this.inFlight) {
        await this.inFlight;
        continue;
      }
      if (!this.behind) return;
      if (this.paced !== undefined) clearTimeout(this.paced);
      this.paced = undefined;
      this.lastPushAt = 0;
      const before = this.pushedSeq;
      this.kick();
      await this.inFlight;
      if (this.pushedSeq === before) return;
    }
  }
}
