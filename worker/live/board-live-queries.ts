import { queriedShard } from "../board/stubs.ts";
import type { Env } from "../env.ts";
import { promqlLabels } from "../protocol/index.ts";
import { LiveQueries } from "./live-queries.ts";
import type { Viewers } from "./viewers.ts";

/**
 * A hub's or relay's live queries: history and seeds read from the board's shards (`shardIds` names them), series
 * labelled from the object's mirror, and the object's own flush run before each step.
 */
export function boardLiveQueries(
  env: Env,
  board: string,
  shardIds: () => Promise<number[]>,
  viewers: () => Viewers | null,
  flush: () => void,
): LiveQueries {
  return new LiveQueries({
    shards: async () => (await shardIds()).map((sid) => queriedShard(env, board, sid)),
    labelsOf: (id) => {
      const def = viewers()?.seriesDef(id);
      return def && promqlLabels(def);
    },
    beforeStep: flush,
  });
}
