import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { findFreePorts, waitForHttp } from "../../scripts/net.ts";
import { runGroup, startGroup } from "../../scripts/processes.ts";
import { DEV_HOST, REPO_ROOT, viteBuild, wranglerDev } from "../../scripts/tools.ts";

/** `wrangler dev` for a node test: its base URL, what it logged, and a stop that also removes its state. */
export interface WranglerDev {
  baseUrl: string;
  output: string[];
  stop(): Promise<void>;
}

/** Starts `wrangler dev` on free loopback ports with `secret` and a temp state dir; resolves once it answers. */
export async function startWranglerDev(secret: string): Promise<WranglerDev> {
  const stateDir = mkdtempSync(join(tmpdir(), "edgepulse-wrangler-"));
  const [port, inspectorPort] = (await findFreePorts(DEV_HOST, 2)) as [number, number];
  const baseUrl = `http://${DEV_HOST}:${port}`;
  const output: string[] = [];
  if (!existsSync(`${REPO_ROOT}/dashboard/dist`))
    await runGroup(viteBuild(), { output: (line) => output.push(line) });
  const args = ["--inspector-port", String(inspectorPort), "--persist-to", stateDir];
  const wrangler = startGroup(wranglerDev(port, [...args, "--var", `EDGEPULSE_SECRET:${secret}`]), {
    output: (line) => output.push(line),
  });
  const stop = async () => {
    await wrangler.stop();
    rmSync(stateDir, { recursive: true, force: true });
  };
  try {
    await waitForHttp(`${baseUrl}/api/v1/ingest`, 60_000, wrangler.exited);
  } catch (error) {
    await stop();
    throw new Error(
      `wrangler dev did not start: ${(error as Error).message}\n${output.slice(-30).join("\n")}`,
    );
  }
  return { baseUrl, output, stop };
}
