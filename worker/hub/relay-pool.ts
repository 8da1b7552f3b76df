import type { Flush } from "../live/viewers.ts";
import type { ShardPosition, StreamPosition, ViewerCounts } from "../protocol/index.ts";
import type { HubLedger } from "./hub-ledger.ts";

/** What a relay tells its hub: its viewers, and whether it still wants flushes (false once idle). */
export interface RelayReport {
  viewers: ViewerCounts;
  active: boolean;
}

/** What the hub calls on a relay: a flush, answered with its report; whether it serves viewers already greeted. */
export interface RelayLink {
  receive(flush: Flush): Promise<RelayReport>;
  serving(): Promise<boolean>;
}

const total = (counts: ViewerCounts) => counts.websocket + counts.sse + counts.poll;

/**
 * The relays of a board's hub: where viewers go once the hub serves its share, and the fan-out of each flush to the
 * relays that have viewers, one delivery in flight per relay (a relay that missed one reads the gap from the shards).
 * Which relays are active survives the hub's hibernation in its SQLite (a row when one starts or stops serving).
 */
export class RelayPool {
  private readonly sql: SqlStorage;
  private readonly ledger: HubLedger;
  private readonly link: (index: number) => RelayLink;
  private readonly viewersPerRelay: number;
  /** Viewers per active relay, as each last reported. */
  private readonly viewers = new Map<number, ViewerCounts>();
  private readonly inFlight = new Map<number, Promise<void>>();
  private readonly waiting = new Map<number, Flush[]>();
  /** Per relay, each shard's position in the last flush it acknowledged: what its viewers were sent. */
  private readonly delivered = new Map<number, Map<number, ShardPosition>>();
  /** Where every relay stood when the hub (re)built its view: before any flush since, relays had been sent that. */
  private baseline = new Map<number, ShardPosition>();

  constructor(
    sql: SqlStorage,
    ledger: HubLedger,
    link: (index: number) => RelayLink,
    viewersPerRelay: number,
  ) {
    this.sql = sql;
    this.ledger = ledger;
    this.link = link;
    this.viewersPerRelay = viewersPerRelay;
    sql.exec("CREATE TABLE IF NOT EXISTS relays (idx INTEGER PRIMARY KEY)");
    // Counts are unknown after a wake: the next report from each relay sets them.
    for (const row of sql.exec<{ idx: number }>("SELECT idx FROM relays"))
      this.viewers.set(row.idx, { websocket: 1, sse: 0, poll: 0 });
  }

  /** Viewers the relays reported, by transport. */
  get counts(): ViewerCounts {
    const sum: ViewerCounts = { websocket: 0, sse: 0, poll: 0 };
    for (const counts of this.viewers.values()) {
      sum.websocket += counts.websocket;
      sum.sse += counts.sse;
      sum.poll += counts.poll;
    }
    return sum;
  }

  get active(): boolean {
    return this.viewers.size > 0;
  }

  /** How many relays a flush is forwarded to. */
  get activeCount(): number {
    return this.viewers.size;
  }

  /** The relay a new viewer goes to: the first with room (counted now, corrected by the relay's next report). */
  place(): number {
    for (let index = 0; ; index++) {
      const counts = this.viewers.get(index) ?? { websocket: 0, sse: 0, poll: 0 };
      if (total(counts) < this.viewersPerRelay) {
        this.report(index, { viewers: { ...counts, websocket: counts.websocket + 1 }, active: true });
        return index;
      }
    }
  }

  /**
   * Whether a relay recorded active still serves viewers (asked, since a relay's row outlives its sockets when the
   * runtime crashes): those viewers were sent frames before the hub's view was lost.
   */
  async anyServing(): Promise<boolean> {
    // One that cannot answer may still hold viewers: counted as serving, so the view is rebuilt as before.
    const ask = (index: number) =>
      this.link(index)
        .serving()
        .catch(() => true);
    const serving = await Promise.all([...this.viewers.keys()].map(ask));
    return serving.includes(true);
  }

  /** A relay's viewers: once idle it stops receiving flushes (and can hibernate). */
  report(index: number, { viewers, active }: RelayReport): void {
    const known = this.viewers.has(index);
    if (active) {
      this.viewers.set(index, viewers);
      if (!known)
        this.ledger.record(() => this.sql.exec("INSERT OR IGNORE INTO relays (idx) VALUES (?)", index));
    } else if (known) {
      this.viewers.delete(index);
      this.waiting.delete(index);
      this.delivered.delete(index);
      this.ledger.record(() => this.sql.exec("DELETE FROM relays WHERE idx = ?", index));
    }
  }

  /** Sends a flush to every active relay, in order per relay. */
  forward(flush: Flush): void {
    for (const index of this.viewers.keys()) {
      const queue = this.waiting.get(index) ?? [];
      queue.push(flush);
      this.waiting.set(index, queue);
      this.deliver(index);
    }
  }

  private deliver(index: number): void {
    if (this.inFlight.has(index)) return;
    const queue = this.waiting.get(index);
    if (!queue || queue.length === 0) return;
    this.waiting.delete(index);
    const merged: Flush = {
      shards: queue.flatMap((flush) => flush.shards),
      series: queue.flatMap((flush) => flush.series),
      presence: queue.flatMap((flush) => flush.presence),
      alerts: queue.flatMap((flush) => flush.alerts),
      ...(queue.some((flush) => flush.release) ? { release: true as const } : {}),
    };
    const delivery = this.link(index)
      .receive(merged)
      .then(
        (report) => {
          this.acknowledged(index, merged);
          this.report(index, report);
        },
        (error) => console.warn(`relay ${index}: a flush was not delivered; it will read the gap`, error),
      )
      .finally(() => {
        this.inFlight.delete(index);
        this.deliver(index);
      });
    this.inFlight.set(index, delivery);
  }

  private acknowledged(index: number, flush: Flush): void {
    const positions = this.delivered.get(index) ?? new Map<number, ShardPosition>();
    for (const { sid, epoch, batches } of flush.shards) {
      const last = batches.at(-1);
      if (last) positions.set(sid, { sid, epoch, seq: last.seq });
    }
    this.delivered.set(index, positions);
  }

  /** The hub built its view of the board at `positions`: relays' viewers were sent up to there. */
  rebuilt(positions: StreamPosition): void {
    this.baseline = new Map(positions.map((position) => [position.sid, position]));
    this.delivered.clear();
  }

  /**
   * Where a relay's viewers stand, shard by shard: the last flush this hub saw it acknowledge, else where the hub's
   * view started. What a relay rebuilding its view under connected viewers starts from.
   */
  deliveredTo(index: number, sent: StreamPosition): StreamPosition {
    const positions = this.delivered.get(index);
    return sent.map(
      (position) => positions?.get(position.sid) ?? this.baseline.get(position.sid) ?? position,
    );
  }
}
