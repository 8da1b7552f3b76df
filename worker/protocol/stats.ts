import type { ResolutionName } from "./history.ts";
import type { StreamPosition } from "./positions.ts";

/** Live viewers of a board by transport. */
export interface ViewerCounts {
  websocket: number;
  sse: number;
  /** Long polls waiting for data right now. */
  poll: number;
}

/**
 * Answer of `GET /boards/:board/stats`: what a board costs and how close it is to its limits. Counters are cumulative
 * since the board was created and persisted with each checkpoint (see README "Board stats").
 */
export interface BoardStats {
  board: string;
  /** The board's shards now: their epochs and seqs. */
  positions: StreamPosition;
  /** Shards a device's points go to (the current layout), and every shard holding data (older layouts too). */
  shards: { current: number; total: number };
  createdAt: number;
  /** SQLite rows written and read, summed from every statement's cursor (Cloudflare bills these). */
  rowsWritten: number;
  rowsRead: number;
  /** `setAlarm` calls; Cloudflare bills each as a row written. */
  alarmsSet: number;
  databaseBytes: number;
  series: { count: number; limit: number };
  devices: { count: number; online: number };
  viewers: ViewerCounts;
  /** Live PromQL on the hub: evaluations running (one per expression and step) and the subscriptions they serve. */
  liveQueries: { evaluations: number; subscriptions: number };
  ingest: { requests: number; points: number; rejected: Record<string, number> };
  /** Times the object started (first creation included). */
  wakes: number;
  checkpoints: number;
  /** Oldest timestamp each resolution still holds (raw: when its oldest batch was received); null when empty. */
  oldest: Record<ResolutionName, number | null>;
}
