import { num, printTable, verdict } from "../lib/table.ts";
import type { BenchContext } from "./context.ts";
import { buildPages, openPage, serve } from "./render.ts";

/** The heap after minute n may exceed minute 1's by this much and still count as bounded (GC timing, caches). */
const BOUND = 1.2;

/**
 * The dashboard's memory over a long session: the rendering page (50 series x 10 updates/s) for 10 minutes (2 with
 * `--quick`), its JS heap after a forced garbage collection each minute. Windows trim to the range, so it must level
 * off: the last minute's heap at most 1.2x the first's.
 */
export async function memoryScenario(context: BenchContext): Promise<void> {
  const minutes = context.quick ? 2 : 10;
  const dir = await buildPages();
  const { server, origin } = await serve(dir);
  const { tab, cdp, metric, close } = await openPage(origin, "ours");
  const heaps: number[] = [];
  try {
    for (let minute = 1; minute <= minutes; minute++) {
      await tab.waitForTimeout(60_000);
      await cdp.send("HeapProfiler.collectGarbage");
      heaps.push((await metric()).JSHeapUsedSize! / 1e6);
      console.log(`  memory after ${minute} min: ${num(heaps.at(-1)!, 1)} MB`);
    }
  } finally {
    await close();
    server.close();
  }
  const growth = heaps.at(-1)! / heaps[0]!;
  printTable(
    `Dashboard memory: 50 series x 10 updates/s in Chromium for ${minutes} min, JS heap after a forced GC`,
    ["minute", "heap MB"],
    heaps.map((heap, i) => [String(i + 1), num(heap, 1)]),
    [`Target: bounded (last / first <= ${BOUND}): ${num(growth, 2)}x ${verdict(growth <= BOUND)}`],
  );
}
