import { setTimeout as sleep } from "node:timers/promises";
import { machineBusySeconds } from "./procfs.ts";

const SAMPLE_MS = 500;
/** Busy share of one core above which the machine counts as loaded by someone else (our server idles meanwhile). */
const QUIET_PERCENT = 25;
const MAX_WAIT_MS = 5_000;

/**
 * Waits (up to 5 s) until the machine is nearly idle before a measurement, so that other processes on a shared
 * box disturb it less; warns when it never got quiet (the tables' `other CPU%` then shows how much it mattered).
 */
export async function awaitQuietMachine(): Promise<void> {
  const deadline = Date.now() + MAX_WAIT_MS;
  for (;;) {
    const before = machineBusySeconds();
    await sleep(SAMPLE_MS);
    const busy = (100 * (machineBusySeconds() - before)) / (SAMPLE_MS / 1000);
    if (busy <= QUIET_PERCENT) return;
    if (Date.now() >= deadline) {
      console.warn(
        `  machine still busy before the next run: ${busy.toFixed(0)}% of a core used by other processes`,
      );
      return;
    }
  }
}
