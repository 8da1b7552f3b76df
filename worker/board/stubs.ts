import type { Env } from "../env.ts";
import { hubName, relayName, shardName } from "./shards.ts";

/** Stubs of a board's objects, by the names `shards.ts` gives them. */
export function shardStub(env: Env, board: string, sid: number) {
  return env.SHARDS.get(env.SHARDS.idFromName(shardName(board, sid)));
}

export function hubStub(env: Env, board: string) {
  return env.HUBS.get(env.HUBS.idFromName(hubName(board)));
}

export function relayStub(env: Env, board: string, index: number) {
  return env.RELAYS.get(env.RELAYS.idFromName(relayName(board, index)));
}

/** A shard as a query reads it: its stub's PromQL methods and its sid (see `ShardQuerier`). */
export function queriedShard(env: Env, board: string, sid: number) {
  const stub = shardStub(env, board, sid);
  return {
    sid,
    promqlSelect: (request: Parameters<typeof stub.promqlSelect>[0]) => stub.promqlSelect(request),
    promqlAggregate: (request: Parameters<typeof stub.promqlAggregate>[0]) => stub.promqlAggregate(request),
  };
}
