import { cpuSpentByName, machineBusySeconds } from "./procfs.ts";
import type { DevServer } from "./server.ts";

/** CPU used over a window, in % of one core (so up to 200% on two cores). */
export interface CpuPercent {
  /** The workerd running the Worker and its Durable Objects. */
  app: number;
  /** wrangler's proxy workerd in front of it (local dev only). */
  proxy: number;
  /** This benchmark process, all its threads. */
  client: number;
  /** Other users' processes: noise to read the rest against (wrangler's own Node process, ~1%, is in no field). */
  other: number;
}

/** Starts measuring the server's processes and this process; call the returned function to end the window. */
export function measureCpu(server: DevServer): () => CpuPercent {
  const startedAt = performance.now();
  const serverBefore = server.cpu();
  const clientBefore = process.cpuUsage();
  const machineBefore = machineBusySeconds();
  return () => {
    const seconds = (performance.now() - startedAt) / 1000;
    const spent = cpuSpentByName(serverBefore, server.cpu());
    const client = process.cpuUsage(clientBefore);
    const ours = [...spent.values()].reduce((sum, s) => sum + s, 0) + (client.user + client.system) / 1e6;
    const percent = (cpuSeconds: number) => (100 * cpuSeconds) / seconds;
    return {
      app: percent(spent.get("workerd:app") ?? 0),
      proxy: percent(spent.get("workerd:proxy") ?? 0),
      client: percent((client.user + client.system) / 1e6),
      other: percent(Math.max(0, machineBusySeconds() - machineBefore - ours)),
    };
  };
}
