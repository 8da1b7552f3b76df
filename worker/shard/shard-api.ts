/** What a shard's RPC methods take and answer (the Worker and the hub call them). */
import type { PointColumns } from "../ingest/points.ts";
import type {
  DevicePresence,
  HistoryColumns,
  Labels,
  LastPoint,
  SeriesHistory,
  SeriesState,
  ShardPosition,
} from "../protocol/index.ts";
import type { StoredBatch } from "./batch-codec.ts";
import type { BatchKey } from "./batch-log.ts";
import type { Counters } from "./checkpoint-row.ts";

export interface IngestRequest {
  points: PointColumns;
  /** The credential posting (`principal` of its claims): refused once revoked. */
  principal: string;
  /** A key scoped to the credential, and a hash of the request body: a repeat within the window is not stored. */
  idempotency?: BatchKey;
}

export type IngestResult =
  /** `repeated`: a request with this idempotency key was stored before; this is its answer. */
  | { ok: true; accepted: number; position: ShardPosition; repeated: boolean }
  | { ok: false; status: 403 | 422; code: string; message: string; path: string }
  | { ok: false; status: 429; code: string; message: string; retryAfterMs: number };

export interface SeriesSummary {
  device: string;
  metric: string;
  labels?: Labels;
  unit?: string;
  kind?: string;
  last: LastPoint | null;
  pointsLastMinute: number;
  online: boolean;
}

/** A shard's part of a history answer: its position, and per series the buckets with their last point's ts. */
export interface ShardHistory {
  position: ShardPosition;
  from: number;
  to: number;
  step: number;
  resolution: string;
  series: Array<SeriesHistory & { lastTs: number[] }>;
}

/** Columns with the ts of each bucket's last point, which merging one series from two shards needs. */
export type ColumnsWithLastTs = HistoryColumns & { lastTs: number[] };

/** What a hub learns from a shard when it (re)builds its view: series (board-wide ids), values, presence, position. */
export interface ShardSnapshot {
  sid: number;
  epoch: number;
  lastSeq: number;
  /** The newest seq the hub acknowledged as far as the shard knows: a lower bound of what the hub's viewers have. */
  pushedSeq: number;
  series: SeriesState[];
  presence: DevicePresence[];
}

/** Batches for a replay, series ids board-wide; `gone` when the ones asked for are no longer all in the log. */
export type ReplayAnswer =
  | { gone: false; epoch: number; batches: Array<{ seq: number; batch: StoredBatch }> }
  | { gone: true; epoch: number; reason: string };

/** A shard's figures for the board's stats. */
export interface ShardStats {
  sid: number;
  createdAt: number;
  position: ShardPosition;
  counters: Counters;
  databaseBytes: number;
  series: number;
  devices: DevicePresence[];
  wakes: number;
  oldest: Record<string, number | null>;
}
