/** A point as the ingest API takes it. */
export interface Point {
  metric: string;
  value: number;
  ts: number;
}

/** A host's metrics: name, typical value, spread around it, decimals a real agent reports. */
const METRICS: ReadonlyArray<readonly [string, number, number, number]> = [
  ["cpu.user_pct", 35, 30, 1],
  ["cpu.system_pct", 8, 6, 1],
  ["cpu.iowait_pct", 2, 2, 1],
  ["cpu.steal_pct", 0.5, 0.5, 2],
  ["load.1m", 1.8, 1.5, 2],
  ["load.5m", 1.6, 1, 2],
  ["load.15m", 1.4, 0.6, 2],
  ["mem.used_bytes", 6.2e9, 1e9, 0],
  ["mem.cached_bytes", 2.1e9, 4e8, 0],
  ["mem.available_bytes", 9.5e9, 1e9, 0],
  ["swap.used_bytes", 1.2e8, 5e7, 0],
  ["disk.read_bytes_s", 4.5e6, 4e6, 0],
  ["disk.write_bytes_s", 9e6, 8e6, 0],
  ["disk.read_iops", 120, 100, 0],
  ["disk.write_iops", 340, 200, 0],
  ["disk.used_pct", 61.4, 0.5, 1],
  ["net.rx_bytes_s", 2.5e6, 2e6, 0],
  ["net.tx_bytes_s", 1.1e6, 1e6, 0],
  ["net.rx_packets_s", 2400, 1500, 0],
  ["net.tx_packets_s", 1900, 1200, 0],
  ["net.errors", 0, 1, 0],
  ["tcp.established", 420, 80, 0],
  ["tcp.time_wait", 95, 40, 0],
  ["http.requests_s", 850, 300, 0],
  ["http.errors_4xx_s", 12, 8, 0],
  ["http.errors_5xx_s", 0.4, 0.4, 1],
  ["http.latency_p50_ms", 18.5, 6, 2],
  ["http.latency_p99_ms", 210, 90, 1],
  ["db.connections", 48, 10, 0],
  ["db.query_ms", 3.4, 2, 2],
  ["db.rows_read_s", 15000, 9000, 0],
  ["cache.hit_ratio", 0.93, 0.04, 3],
  ["cache.evictions_s", 14, 10, 0],
  ["queue.depth", 30, 25, 0],
  ["queue.lag_ms", 240, 200, 0],
  ["gc.pause_ms", 4.2, 3, 2],
  ["heap.used_bytes", 3.1e8, 6e7, 0],
  ["threads.active", 64, 12, 0],
  ["temp.cpu_c", 58.5, 8, 1],
  ["temp.board_c", 41.2, 3, 1],
  ["fan.rpm", 2100, 400, 0],
  ["power.watts", 145.5, 40, 1],
  ["voltage.v", 12.05, 0.1, 2],
  ["battery.pct", 87, 10, 0],
  ["uptime_s", 864000, 1000, 0],
  ["proc.count", 312, 20, 0],
  ["fd.open", 5400, 600, 0],
  ["env.humidity_pct", 44.5, 5, 1],
  ["env.pressure_hpa", 1013.2, 4, 1],
  ["env.co2_ppm", 620, 150, 0],
];

/** Series per device in every generated batch. */
export const METRICS_PER_DEVICE = METRICS.length;

function sample(index: number): number {
  const [, typical, spread, decimals] = METRICS[index]!;
  const value = Math.max(0, typical + (Math.random() * 2 - 1) * spread);
  return Number(value.toFixed(decimals));
}

/**
 * `count` points as a device agent sends them: whole samples of every metric in turn, sample `k` taken at `tsOf(k)`.
 * @example makePoints(100, () => Date.now()) // two samples of the 50 metrics
 */
export function makePoints(count: number, tsOf: (sampleIndex: number) => number): Point[] {
  const points: Point[] = [];
  for (let i = 0; i < count; i++) {
    const metric = i % METRICS.length;
    points.push({
      metric: METRICS[metric]![0],
      value: sample(metric),
      ts: tsOf(Math.floor(i / METRICS.length)),
    });
  }
  return points;
}

/** The JSON body of an ingest request. */
export function ingestBody(points: Point[]): Buffer {
  return Buffer.from(JSON.stringify({ points }));
}
