import { num, printTable, verdict } from "../lib/table.ts";
import type { BenchContext } from "./context.ts";
import { buildPages, openPage, serve } from "./render.ts";

/** The last minute's heap may exceed the one after the windows filled by this much and still count as bounded. */
const BOUND = 1.2;
/** The page's range (live 5 min) fills its windows in this many minutes; the heap grows until then. */
const FILL_MINUTES = 5;

/**
 * The dashboard's memory over a long session: the rendering page (50 series x 10 updates/s) for 10 minutes (2 with
 * `--quick`), its JS heap after a forced garbage collection each minute. Windows trim to the range, so once they
 * are full the heap must level off: the last minute's at most 1.2x the one after they filled.
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
  const filled = heaps[Math.min(FILL_MINUTES, heaps.length - 1)]!;
  const growth = heaps.at(-1)! / filled;
  printTable(
    `Dashboard memory: 50 series x 10 updates/s in Chromium for ${minutes} min, JS heap after a forced GC`,
    ["minute", "heap MB"],
    heaps.map((heap, i) => [String(i + 1), num(heap, 1)]),
    [
      `Target: bounded once the ${FILL_MINUTES}-minute windows are full (last / minute ${FILL_MINUTES + 1} <= ${BOUND}): ` +
        `${num(growth, 2)}x ${verdict(growth <= BOUND)}`,
    ],
  );
}
