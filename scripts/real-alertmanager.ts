/** Debian's real Alertmanager next to `wrangler dev`, for boards' rules to send their alerts to. */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { type Daemon, startDaemon } from "./daemon.ts";

/** One route grouping by alert name into a receiver that sends nothing; short waits so tests see groups soon. */
const CONFIG = `route:
  receiver: quiet
  group_by: [alertname]
  group_wait: 1s
  group_interval: 1s
receivers:
  - name: quiet
`;

/** Starts `prometheus-alertmanager` on a free loopback port, clustering off, config and state in a temp dir. */
export function startRealAlertmanager(): Promise<Daemon> {
  return startDaemon("prometheus-alertmanager", (listen, dir) => {
    writeFileSync(join(dir, "alertmanager.yml"), CONFIG);
    return [
      `--config.file=${join(dir, "alertmanager.yml")}`,
      `--storage.path=${join(dir, "data")}`,
      `--web.listen-address=${listen}`,
      "--cluster.listen-address=",
    ];
  });
}
