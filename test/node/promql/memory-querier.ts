/** A Querier over series held in memory, returning only the samples in the hinted window (as storage does). */

import type { LabelSet, Querier, SeriesSamples } from "../../../worker/promql/index.ts";
import { matchesAll, partialAggregates } from "../../../worker/promql/index.ts";

export interface StoredSeries {
  readonly labels: LabelSet;
  readonly samples: { t: number; v: number; stale?: boolean }[];
}

export function memoryQuerier(series: readonly StoredSeries[]): Querier & { selects: number } {
  // Columns built once, as storage keeps them; a select hands out views of the hinted window.
  const stored = series.map((s) => ({
    labels: s.labels,
    timestamps: Float64Array.from(s.samples, (p) => p.t),
    values: Float64Array.from(s.samples, (p) => p.v),
    stale: s.samples.some((p) => p.stale) ? Uint8Array.from(s.samples, (p) => (p.stale ? 1 : 0)) : undefined,
  }));
  const q = {
    selects: 0,
    async select(matchers, hints): Promise<SeriesSamples[]> {
      q.selects++;
      const out: SeriesSamples[] = [];
      for (const s of stored) {
        if (!matchesAll(s.labels, matchers)) continue;
        const from = s.timestamps.findIndex((t) => t >= hints.start);
        if (from < 0) continue;
        let to = from;
        while (to < s.timestamps.length && (s.timestamps[to] as number) <= hints.end) to++;
        if (to === from) continue;
        out.push({
          labels: s.labels,
          timestamps: s.timestamps.subarray(from, to),
          values: s.values.subarray(from, to),
          ...(s.stale ? { stale: s.stale.subarray(from, to) } : {}),
        });
      }
      return out;
    },
  } satisfies Querier & { selects: number };
  return q;
}

/**
 * The series dealt over `stores` memory queriers, as a board's series are over its shards: selections gather from
 * every store, aggregations are pushed down to them (`Querier.aggregate`) as ShardQuerier pushes them to shards.
 */
export function splitQuerier(series: readonly StoredSeries[], stores: number): Querier {
  const parts = Array.from({ length: stores }, (_, i) =>
    memoryQuerier(series.filter((_, n) => n % stores === i)),
  );
  return {
    async select(matchers, hints) {
      return (await Promise.all(parts.map((part) => part.select(matchers, hints)))).flat();
    },
    async aggregate(aggregations, steps) {
      const answers = await Promise.all(parts.map((part) => partialAggregates(part, aggregations, steps)));
      return aggregations.map((_, i) => answers.flatMap((answer) => answer[i]!));
    },
  };
}
