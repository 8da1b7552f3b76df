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
