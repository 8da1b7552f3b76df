import { RESOLUTIONS } from "./resolutions.ts";
import { blockOf, localOf, type Rollups } from "./rollups.ts";
import { BUCKET_FIELDS, COUNT, FIRST, FIRST_TS, LAST, LAST_TS, storedEntries } from "./segment.ts";

/** The 1 s resolution's index in RESOLUTIONS. */
const SECONDS = 0;

/** One series' samples rebuilt from its 1 s buckets, ascending by timestamp. */
export interface SecondSamples {
  timestamps: Float64Array;
  values: Float64Array;
}

/** One series' samples as they are rebuilt, in typed columns that grow by doubling. */
class Rebuilt {
  timestamps = new Float64Array(64);
  values = new Float64Array(64);
  length = 0;

  push(t: number, value: number, from: number, to: number): void {
    if (t < from || t > to) return;
    if (this.length === this.timestamps.length) {
      const grown = (old: Float64Array) => {
        const copy = new Float64Array(old.length * 2);
        copy.set(old);
        return copy;
      };
      this.timestamps = grown(this.timestamps);
      this.values = grown(this.values);
    }
    this.timestamps[this.length] = t;
    this.values[this.length++] = value;
  }

  /**
   * Adds the points a bucket stands for, or answers false when it cannot tell them: a bucket keeps its count and
   * its first and last point (by timestamp; of equal ones the first arrival stays first), so it knows every point
   * when it holds at most two, or when all share one timestamp (of which the raw log keeps the first arrival).
   */
  bucket(
    count: number,
    firstTs: number,
    first: number,
    lastTs: number,
    last: number,
    from: number,
    to: number,
  ) {
    if (lastTs < from || firstTs > to) return true;
    if (count === 1 || firstTs === lastTs) this.push(firstTs, first, from, to);
    else if (count === 2) {
      this.push(firstTs, first, from, to);
      this.push(lastTs, last, from, to);
    } else return false;
    return true;
  }

  finish(): SecondSamples {
    return {
      timestamps: this.timestamps.subarray(0, this.length),
      values: this.values.subarray(0, this.length),
    };
  }
}

/**
 * The samples of `seriesIds` in `[from, to]` exactly as the raw log holds them, rebuilt from their 1 s buckets
 * (stored chunks overlaid by the ones held in memory), one entry per id in the order given: null for a series with
 * a bucket that cannot tell its points (more than two in a second). The caller makes sure the chunks are complete
 * over the range (`Rollups.completeFrom`) and the series had no staleness marker in it (rollups leave markers out).
 * Values are the stored float64s, bit for bit: NaN, ±Inf, -0 and subnormals as they came.
 */
export function readSecondSamples(
  rollups: Rollups,
  seriesIds: readonly number[],
  from: number,
  to: number,
): Array<SecondSamples | null> {
  const rebuilt: Array<Rebuilt | null> = seriesIds.map(() => new Rebuilt());
  const byBlock = new Map<number, Map<number, number>>();
  seriesIds.forEach((id, i) => {
    const wanted = byBlock.get(blockOf(id)) ?? new Map<number, number>();
    wanted.set(localOf(id), i);
    byBlock.set(blockOf(id), wanted);
  });
  const { ms, chunkMs } = RESOLUTIONS[SECONDS]!;
  const fromChunk = from - (from % chunkMs);
  for (const [block, wanted] of byBlock) {
    const locals = new Set(wanted.keys());
    for (const chunk of rollups.chunks(SECONDS, block, fromChunk, to)) {
      if ("held" in chunk) {
        for (const [local, i] of wanted) {
          const buckets = chunk.held.series[local];
          const out = rebuilt[i];
          if (!buckets || !out) continue;
          for (let o = 0; o < buckets.length; o += BUCKET_FIELDS) {
            const count = buckets[o + COUNT]!;
            if (count === 0) continue;
            const known = out.bucket(
              count,
              buckets[o + FIRST_TS]!,
              buckets[o + FIRST]!,
              buckets[o + LAST_TS]!,
              buckets[o + LAST]!,
              from,
              to,
            );
            if (!known) {
              rebuilt[i] = null;
              break;
            }
          }
        }
        continue;
      }
      for (const entry of storedEntries(chunk.body, locals)) {
        const i = wanted.get(entry.local)!;
        const out = rebuilt[i];
        if (!out) continue;
        const { count, first, last, firstOffsets, lastOffsets, indexes } = entry;
        for (let k = 0; k < indexes.length; k++) {
          const start = chunk.chunk + indexes[k]! * ms;
          const known = out.bucket(
            count[k]!,
            start + firstOffsets[k]!,
            first[k]!,
            start + lastOffsets[k]!,
            last[k]!,
            from,
            to,
          );
          if (!known) {
            rebuilt[i] = null;
            break;
          }
        }
      }
    }
  }
  return rebuilt.map((out) => out?.finish() ?? null);
}
