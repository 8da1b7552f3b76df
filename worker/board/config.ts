import type { Env } from "../env.ts";
import { MAX_SHARDS } from "./shards.ts";

/** A board's tunables, read once from the environment. */
export interface BoardConfig {
  /** The longest a flush to viewers waits after the previous one (the wait adapts below it; see `Tick`). */
  tickMs: number;
  presenceTimeoutMs: number;
  rawRetentionMs: number;
  /** The raw log is also trimmed past this many points, whatever their age (bounds storage at high rates). */
  rawMaxPoints: number;
  /**
   * Frame bytes (and, counted apart, live PromQL answer bytes) any viewer may leave unacknowledged before it is
   * closed with 1013 (acking or not).
   */
  maxUnackedBytes: number;
  /** Ingest requests one device may make in 10 s; more answer 429. */
  deviceRequestsPer10s: number;
  /** While batches arrive, state is checkpointed about this often (rows written vs log replayed on wake). */
  checkpointIntervalMs: number;
  /** Ingest shards of a board (the current layout). */
  shards: number;
  /** Viewers one hub or relay serves before the next ones go to a relay. */
  viewersPerObject: number;
  /** Series one device may create, unless its board's admin set another limit. */
  seriesPerDevice: number;
  /** Viewers a board takes on all its objects, unless its admin set another limit. */
  viewersPerBoard: number;
}

function readCount(raw: string | undefined, fallback: number, name: string): number {
  if (raw === undefined || raw === "") return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0)
    throw new Error(`${name} must be a non-negative integer, got ${raw}`);
  return value;
}

function readRange(
  raw: string | undefined,
  fallback: number,
  name: string,
  min: number,
  max: number,
): number {
  const value = readCount(raw, fallback, name);
  if (value < min || value > max) throw new Error(`${name} must be between ${min} and ${max}, got ${raw}`);
  return value;
}

export function boardConfig(env: Env): BoardConfig {
  return {
    tickMs: readCount(env.LIVE_TICK_MS, 100, "LIVE_TICK_MS"),
    presenceTimeoutMs: readCount(env.PRESENCE_TIMEOUT_MS, 30_000, "PRESENCE_TIMEOUT_MS"),
    rawRetentionMs: readCount(env.RAW_RETENTION_MS, 3_600_000, "RAW_RETENTION_MS"),
    rawMaxPoints: readCount(env.RAW_MAX_POINTS, 20_000_000, "RAW_MAX_POINTS"),
    maxUnackedBytes: readCount(env.LIVE_MAX_UNACKED_BYTES, 4 * 1024 * 1024, "LIVE_MAX_UNACKED_BYTES"),
    deviceRequestsPer10s: readCount(env.DEVICE_REQUESTS_PER_10S, 1000, "DEVICE_REQUESTS_PER_10S"),
    checkpointIntervalMs: readCount(env.CHECKPOINT_INTERVAL_MS, 60_000, "CHECKPOINT_INTERVAL_MS"),
    shards: readRange(env.BOARD_SHARDS, 1, "BOARD_SHARDS", 1, MAX_SHARDS),
    viewersPerObject: readRange(env.VIEWERS_PER_OBJECT, 2000, "VIEWERS_PER_OBJECT", 1, 30_000),
    seriesPerDevice: readRange(env.SERIES_PER_DEVICE, 1000, "SERIES_PER_DEVICE", 1, 5000),
    viewersPerBoard: readRange(env.VIEWERS_PER_BOARD, 100_000, "VIEWERS_PER_BOARD", 1, 10_000_000),
  };
}
