/**
 * The live stream across runtime crashes: `kill -9` of the whole `wrangler dev` group while devices post and
 * viewers of every kind watch on the hub and on relays, restarted on the same storage (see scripts/live-crash.ts).
 * Every viewer must resume where it was: every frame follows on from its seq per shard (no gap, no repeat, no
 * `reset`), and it gets every recorded point exactly once. A longer run: `node scripts/live-crash-soak.ts`.
 */
import { describe, expect, it } from "vitest";
import { runLiveCrash } from "../../scripts/live-crash.ts";
import type { Transport } from "../../scripts/live-watcher.ts";

/** With 2 viewers per object, the first WebSocket and SSE viewer fill the hub; the rest go to relays. */
const VIEWERS: Transport[] = ["websocket", "sse", "poll", "websocket", "sse", "poll"];

describe("the live stream across kill -9 of the runtime", () => {
  // Concurrently: most of the time goes to starting wrangler dev.
  for (const shards of [1, 4]) {
    it.concurrent(`resumes every viewer exactly where it was, on the hub and on relays, with ${shards} shard(s)`, async () => {
      const output: string[] = [];
      const report = await runLiveCrash({
        shards,
        viewersPerObject: 2,
        kills: 2,
        viewers: VIEWERS,
        devices: 4,
        metrics: 5,
        upMs: [1200, 2500],
        log: (line) => output.push(line),
      });
      const clean = { gaps: 0, repeats: 0, overlaps: 0, resets: 0, unnamed: 0 };
      const outcome = report.viewers.map(({ transport, faults, missing, duplicated, notResumed }) => ({
        transport,
        faults,
        missing,
        duplicated,
        notResumed,
      }));
      const exact = VIEWERS.map((transport) => ({
        transport,
        faults: clean,
        missing: 0,
        duplicated: 0,
        notResumed: 0,
      }));
      expect(outcome).toEqual(exact);
      for (const viewer of report.viewers) expect(viewer.frames).toBeGreaterThan(0);
      expect(report.points).toBeGreaterThan(0);
      // A resume after a crash is about as fast as a normal reconnect: nothing waits for the objects to settle (that
      // costs seconds). Twice the slowest reconnect, plus 100 ms, leaves room for a box busy with the other suites.
      const median = (list: number[]) => [...list].sort((x, y) => x - y)[Math.floor(list.length / 2)]!;
      expect(median(report.crashResumeMs)).toBeLessThanOrEqual(2 * Math.max(...report.reconnectMs) + 100);
      console.log(
        `${shards} shard(s): ${report.points} points; reconnect ${report.reconnectMs.join(",")} ms; resume after crash ${report.crashResumeMs.join(",")} ms; restarts ${report.restartMs.join(",")} ms`,
      );
    }, 120_000);
  }
});
