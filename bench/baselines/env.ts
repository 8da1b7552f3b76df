import type { Env } from "../../worker/env.ts";
import type { BareObject } from "./bare-object.ts";
import type { NaiveHubObject } from "./naive-hub-object.ts";
import type { NaiveStoreObject } from "./naive-store-object.ts";

/** The real app's bindings plus the baseline objects declared in bench/wrangler.bench.toml. */
export interface BenchEnv extends Env {
  BARE: DurableObjectNamespace<BareObject>;
  NAIVE_STORE: DurableObjectNamespace<NaiveStoreObject>;
  NAIVE_HUB: DurableObjectNamespace<NaiveHubObject>;
}
