import type { Env } from "../../worker/env.ts";
import type { BareObject } from "./bare-object.ts";
import type { NaiveHubObject } from "./naive-hub-object.ts";
import type { NaiveStoreObject } from "./naive-store-object.ts";
import type { PartyHub } from "./party-hub.ts";

/** The real app's bindings plus the baseline objects declared in bench/wrangler.bench.toml. */
export interface BenchEnv extends Env {
  BARE: DurableObjectNamespace<BareObject>;
  NAIVE_STORE: DurableObjectNamespace<NaiveStoreObject>;
  NAIVE_HUB: DurableObjectNamespace<NaiveHubObject>;
  /** Named so `routePartykitRequest` serves it at `/bench/parties/party-hub/:room`. */
  PartyHub: DurableObjectNamespace<PartyHub>;
}
