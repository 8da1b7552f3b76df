import { deviceShard } from "../board/shards.ts";
import type { PointColumns } from "./points.ts";

/**
 * A request's points by the shard of their device (a layout of `shards`), each part in the request's order and
 * naming only its own series. A request of one device, the usual case, is one part and is not copied.
 */
export function splitByShard(points: PointColumns, shards: number): Map<number, PointColumns> {
  const sidOf = points.series.map((key) => deviceShard(key.device, shards));
  if (new Set(sidOf).size === 1) return new Map([[sidOf[0]!, points]]);
  // Parts are cut to length with slice: RPC copies a typed array's whole buffer, not just its view.
  const parts = new Map<number, { columns: PointColumns; length: number; renumbered: Map<number, number> }>();
  const n = points.ts.length;
  const { stale } = points;
  for (let i = 0; i < n; i++) {
    const index = points.seriesIndex[i]!;
    const sid = sidOf[index]!;
    let part = parts.get(sid);
    if (!part) {
      const columns = {
        series: [],
        seriesIndex: new Uint16Array(n),
        ts: new Float64Array(n),
        values: new Float64Array(n),
        ...(stale ? { stale: new Uint8Array(n) } : {}),
      };
      part = { columns, length: 0, renumbered: new Map() };
      parts.set(sid, part);
    }
    let local = part.renumbered.get(index);
    if (local === undefined) {
      local = part.columns.series.push(points.series[index]!) - 1;
      part.renumbered.set(index, local);
    }
    const at = part.length++;
    part.columns.seriesIndex[at] = local;
    part.columns.ts[at] = points.ts[i]!;
    part.columns.values[at] = points.values[i]!;
    if (stale) part.columns.stale![at] = stale[i]!;
  }
  const split = new Map<number, PointColumns>();
  for (const [sid, { columns, length }] of parts) {
    split.set(sid, {
      series: columns.series,
      seriesIndex: columns.seriesIndex.slice(0, length),
      ts: columns.ts.slice(0, length),
      values: columns.values.slice(0, length),
      ...(columns.stale ? { stale: columns.stale.slice(0, length) } : {}),
    });
  }
  return split;
}
