/** A Querier over series held in memory, returning only the samples in the hinted window (as storage does). */

import type { LabelSet, Querier, SeriesSamples } from "../../../worker/promql/index.ts";
import { matchesAll } from "../../../worker/promql/index.ts";

export interface StoredSeries {
  readonly labels: LabelSet;
  readonly samples: { t: number; v: number; stale?: boolean }[];
}

export function memoryQuerier(series: readonly StoredSeries[]): Querier & { selects: number } {
  const q = {
    selects: 0,
    async select(matchers, hints): Promise<SeriesSamples[]> {
      q.selects++;
      const out: SeriesSamples[] = [];
      for (const s of series) {
        if (!matchesAll(s.labels, matchers)) continue;
        const inWindow = s.samples.filter((p) => p.t >= hints.start && p.t <= hints.end);
        if (inWindow.length === 0) continue;
        out.push({
          labels: s.labels,
          timestamps: Float64Array.from(inWindow, (p) => p.t),
          values: Float64Array.from(inWindow, (p) => p.v),
          ...(inWindow.some((p) => p.stale)
            ? { stale: Uint8Array.from(inWindow, (p) => (p.stale ? 1 : 0)) }
            : {}),
        });
      }
      return out;
    },
  } satisfies Querier & { selects: number };
  return q;
}
