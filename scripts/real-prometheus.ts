/**
 * Debian's real Prometheus as a reference next to `wrangler dev`: started with its remote write receiver on a free
 * local port and a temporary storage dir, fed the same remote write bodies as a board, and stopped (dir removed).
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { type Daemon, startDaemon } from "./daemon.ts";

/** POSTs a remote write body; throws unless the receiver answers 2xx. */
export async function remoteWrite(
  url: string,
  body: Uint8Array<ArrayBuffer>,
  credential?: string,
): Promise<void> {
  const response = await fetch(url, {
    method: "POST",
    headers: {
      "content-type": "application/x-protobuf",
      "content-encoding": "snappy",
      "x-prometheus-remote-write-version": "0.1.0",
      ...(credential ? { authorization: `Bearer ${credential}` } : {}),
    },
    body,
  });
  if (!response.ok) throw new Error(`remote write to ${url}: ${response.status} ${await response.text()}`);
}

export type RealPrometheus = Daemon;

/** What to start it with: its scrape config (YAML lines, given its own port so it can scrape itself), a rule file. */
export interface PrometheusOptions {
  config?: (port: number) => string[];
  rules?: string;
}

/**
 * Starts `prometheus --web.enable-remote-write-receiver` (by default scraping nothing) and waits until it is ready;
 * with `rules`, it evaluates that rule file too.
 */
export function startRealPrometheus(options: PrometheusOptions = {}): Promise<RealPrometheus> {
  return startDaemon("prometheus", (listen, dir, port) => {
    const config = join(dir, "prometheus.yml");
    const lines = options.config?.(port) ?? ["global: { scrape_interval: 1m }", "scrape_configs: []"];
    if (options.rules !== undefined) {
      writeFileSync(join(dir, "rules.yml"), options.rules);
      lines.push(`rule_files: [${join(dir, "rules.yml")}]`);
    }
    writeFileSync(config, `${lines.join("\n")}\n`);
    return [
      `--config.file=${config}`,
      `--storage.tsdb.path=${join(dir, "data")}`,
      `--web.listen-address=${listen}`,
      "--web.enable-remote-write-receiver",
    ];
  });
}
