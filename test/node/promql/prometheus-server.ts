/** Debian's real Prometheus, fed by remote write and asked through its HTTP API, for the engine's comparison. */

import { remoteWrite, startRealPrometheus } from "../../../scripts/real-prometheus.ts";
import { remoteWriteBody, STALE } from "../../../scripts/remote-write-body.ts";
import type { StoredSeries } from "./memory-querier.ts";

export interface PrometheusServer {
  readonly url: string;
  write(series: readonly StoredSeries[]): Promise<void>;
  /** GET an API path with query parameters; the parsed JSON body, whatever the status. */
  api(path: string, params: Record<string, string>): Promise<unknown>;
  stop(): Promise<void>;
}

export async function startPrometheus(): Promise<PrometheusServer> {
  const prometheus = await startRealPrometheus();
  return {
    url: prometheus.url,
    write: (series) =>
      remoteWrite(
        `${prometheus.url}/api/v1/write`,
        remoteWriteBody(
          series.map((s) => ({
            labels: s.labels,
            samples: s.samples.map((p) => [p.stale ? STALE : p.v, p.t] as const),
          })),
        ),
      ),
    async api(path, params) {
      const response = await fetch(`${prometheus.url}${path}?${new URLSearchParams(params)}`);
      return response.json();
    },
    stop: () => prometheus.stop(),
  };
}
