import type { ResolutionName } from "../protocol/index.ts";

/**
 * A rollup resolution: bucket width, how long buckets are kept, and the span of one stored chunk. A chunk of one
 * block of series is one SQLite row (see `Segment`), so rows written scale with chunks touched, not with buckets.
 */
export interface Resolution {
  name: Exclude<ResolutionName, "raw">;
  ms: number;
  retentionMs: number;
  chunkMs: number;
}

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/**
 * Finest first. The raw log sits below these (see BatchLog). Retentions are sized so a shard's worst case (a point
 * or more per second in each of its 5,000 series) stays under an object's 10 GB: README "Storage bound".
 * The dashboard's longest fine range (7 days at 2,000 buckets) still reads 1 min buckets.
 */
export const RESOLUTIONS: readonly Resolution[] = [
  { name: "1s", ms: 1_000, retentionMs: HOUR, chunkMs: 60_000 },
  { name: "1m", ms: 60_000, retentionMs: 8 * DAY, chunkMs: HOUR },
  { name: "1h", ms: HOUR, retentionMs: 365 * DAY, chunkMs: DAY },
];

/** Series ids `block * SERIES_PER_BLOCK ..` share rollup rows. */
export const SERIES_PER_BLOCK = 128;

export function bucketsPerChunk(resolution: Resolution): number {
  return resolution.chunkMs / resolution.ms;
}
