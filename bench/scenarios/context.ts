import type { Stage } from "../lib/stage.ts";

/** What every scenario gets from `bench/run.ts`. */
export interface BenchContext {
  stage: Stage;
  /** EDGEPULSE_SECRET of every server this run starts. */
  secret: string;
  /** Short windows for a smoke test (`--quick`); the numbers are then only indicative. */
  quick: boolean;
  /** Viewer counts for the live scenario. */
  viewers: number[];
  /** Profile the app's isolate during the real runs (`--profile`); it slows them, so it is off by default. */
  profile: boolean;
}
