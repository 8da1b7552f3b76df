import { queriedShard, shardStub } from "../board/stubs.ts";
import type { Env } from "../env.ts";
import { splitByShard } from "../ingest/routing.ts";
import { PROMQL_LIMITS } from "../prometheus/limits.ts";
import { ShardQuerier } from "../prometheus/shard-querier.ts";
import type { RuleHost } from "../rules/board-rules.ts";
import type { RecordedSamples } from "../rules/evaluate-group.ts";
import { RULES_PRINCIPAL, recordedPoints } from "../rules/recorded-points.ts";

/**
 * What a board's rules use on its hub: the same querier as the Prometheus API's queries, over the shards the
 * registry knows; recorded samples go to the shards of their devices through `ingest`, as posted points do;
 * transitions reach viewers through `announce`.
 */
export function ruleHost(
  env: Env,
  board: string,
  shards: () => number[],
  layout: number,
  announce: RuleHost["announce"],
): RuleHost {
  return {
    announce,
    querier() {
      const queried = shards().map((sid) => queriedShard(env, board, sid));
      return new ShardQuerier(queried, Date.now(), PROMQL_LIMITS);
    },
    async record(recorded: RecordedSamples) {
      const points = recordedPoints(recorded);
      if (!points) return;
      const results = await Promise.all(
        [...splitByShard(points, layout)].map(([sid, part]) =>
          shardStub(env, board, sid).ingest({ points: part, principal: RULES_PRINCIPAL }),
        ),
      );
      const refused = results.find((result) => !result.ok);
      if (refused && !refused.ok) throw new Error(`storing recorded series: ${refused.message}`);
    },
  };
}
