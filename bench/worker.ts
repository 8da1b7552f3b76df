/**
 * Entry of the benchmark build (bench/wrangler.bench.toml): `/bench/*` goes to the baselines, everything else to
 * the real app untouched.
 */
import app from "../worker/index.ts";
import type { BenchEnv } from "./baselines/env.ts";
import { benchRoutes } from "./baselines/routes.ts";

export { HubObject, RelayObject, ShardObject } from "../worker/index.ts";
export { BareObject } from "./baselines/bare-object.ts";
export { NaiveHubObject } from "./baselines/naive-hub-object.ts";
export { NaiveStoreObject } from "./baselines/naive-store-object.ts";
export { PartyHub } from "./baselines/party-hub.ts";

export default {
  fetch(request, env, ctx) {
    const { pathname } = new URL(request.url);
    return pathname.startsWith("/bench/")
      ? benchRoutes.fetch(request, env, ctx)
      : app.fetch(request, env, ctx);
  },
} satisfies ExportedHandler<BenchEnv>;
