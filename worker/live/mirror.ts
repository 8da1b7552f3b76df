import {
  type DevicePresence,
  lastPoint,
  type SeriesDef,
  type SeriesState,
  type ShardPosition,
  type StreamPosition,
} from "../protocol/index.ts";
import type { StoredBatch } from "../shard/batch-codec.ts";
import type { ShardSnapshot } from "../shard/shard-api.ts";

/** One shard's batches in seq order, as viewers get them (series ids board-wide). */
export interface ShardBatches {
  sid: number;
  epoch: number;
  batches: Array<{ seq: number; batch: StoredBatch }>;
  /** A batch viewers may already hold (after a rebuild): framed alone, so a client drops it whole. */
  repeat?: true;
}

/** What a hub or relay knows of a board: its series with last values, its devices, each shard's position. */
export interface MirrorState {
  series: SeriesState[];
  presence: DevicePresence[];
  positions: StreamPosition;
  /**
   * Per shard, the seq through which viewers that stayed connected may already hold batches past `positions` (a
   * view rebuilt from a lower bound): those batches go one frame each, so such viewers drop them as repeats.
   */
  unsure?: StreamPosition;
}

/**
 * A hub's or relay's view of the board, built from the shards (or the hub) when the object wakes and kept current
 * by what it relays: series definitions and last values for snapshots, presence, and for each shard the position its
 * viewers have been sent up to.
 */
export class BoardMirror {
  private readonly series = new Map<number, SeriesState>();
  private readonly presence = new Map<string, DevicePresence>();
  private readonly sent = new Map<number, { epoch: number; seq: number }>();
  private readonly unsure = new Map<number, number>();

  constructor(state: MirrorState) {
    for (const def of state.series) this.series.set(def.id, def);
    for (const device of state.presence) this.presence.set(device.device, device);
    for (const { sid, epoch, seq } of state.positions) this.sent.set(sid, { epoch, seq });
    for (const { sid, epoch, seq } of state.unsure ?? [])
      if (this.sent.get(sid)?.epoch === epoch && seq > this.sent.get(sid)!.seq) this.unsure.set(sid, seq);
  }

  /** A hub's mirror from its shards' snapshots: their viewers have what the hub acknowledged of each. */
  static fromSnapshots(snapshots: ShardSnapshot[]): BoardMirror {
    return new BoardMirror({
      series: snapshots.flatMap((s) => s.series),
      presence: snapshots.flatMap((s) => s.presence),
      positions: snapshots.map(({ sid, epoch, pushedSeq }) => ({ sid, epoch, seq: pushedSeq })),
      // Viewers cannot have been sent more than the shard had stored.
      unsure: snapshots.map(({ sid, epoch, lastSeq }) => ({ sid, epoch, seq: lastSeq })),
    });
  }

  state(): MirrorState {
    return { series: [...this.series.values()], presence: this.devices(), positions: this.positions() };
  }

  all(): SeriesDef[] {
    return [...this.series.values()].map(({ last: _last, ...def }) => def);
  }

  seriesState(id: number): SeriesState | undefined {
    return this.series.get(id);
  }

  devices(): DevicePresence[] {
    return [...this.presence.values()];
  }

  positions(): StreamPosition {
    return [...this.sent].map(([sid, { epoch, seq }]) => ({ sid, epoch, seq })).sort((a, b) => a.sid - b.sid);
  }

  position(sid: number): ShardPosition | undefined {
    const sent = this.sent.get(sid);
    return sent && { sid, ...sent };
  }

  /** Per shard, the newest seq viewers of this mirror may hold: what it sent, or more when unsure (see MirrorState). */
  heldAtMost(): StreamPosition {
    return this.positions().map((p) => ({ ...p, seq: Math.max(p.seq, this.unsure.get(p.sid) ?? 0) }));
  }

  /** A shard's batches as frames go: one frame each for those viewers may already hold, the rest together. */
  framed(shard: ShardBatches): ShardBatches[] {
    const unsure = this.unsure.get(shard.sid) ?? 0;
    const cut = shard.batches.findIndex((b) => b.seq > unsure);
    const repeats = cut === -1 ? shard.batches : shard.batches.slice(0, cut);
    if (repeats.length === 0) return [shard];
    const rest = cut === -1 ? [] : shard.batches.slice(cut);
    const parts = repeats.map((batch) => ({ ...shard, batches: [batch], repeat: true as const }));
    return rest.length > 0 ? [...parts, { ...shard, batches: rest }] : parts;
  }

  /** A shard the mirror did not know yet (created after it was built): its viewers have nothing of it. */
  addShard(sid: number, epoch: number): void {
    if (!this.sent.has(sid)) this.sent.set(sid, { epoch, seq: 0 });
  }

  addSeries(defs: SeriesDef[]): void {
    for (const def of defs) if (!this.series.has(def.id)) this.series.set(def.id, { ...def });
  }

  updatePresence(devices: DevicePresence[]): void {
    for (const device of devices) this.presence.set(device.device, device);
  }

  /** Records batches as sent to viewers: the shard's position, and the series' last values. */
  sentBatches({ sid, epoch, batches }: ShardBatches): void {
    const last = batches.at(-1);
    if (!last) return;
    this.sent.set(sid, { epoch, seq: last.seq });
    if (last.seq >= (this.unsure.get(sid) ?? 0)) this.unsure.delete(sid);
    for (const { batch } of batches) {
      for (let i = 0; i < batch.seriesIds.length; i++) {
        const state = this.series.get(batch.seriesIds[i]!);
        const ts = batch.ts[i]!;
        if (state && (!state.last || ts >= state.last.ts))
          state.last = lastPoint(ts, batch.values[i]!, batch.stale?.[i] === 1);
      }
    }
  }
}
