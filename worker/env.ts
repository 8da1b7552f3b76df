import type { HubObject } from "./hub/hub-object.ts";
import type { RelayObject } from "./relay/relay-object.ts";
import type { ShardObject } from "./shard/shard-object.ts";

/** Bindings and variables from wrangler.toml and secrets. */
export interface Env {
  /** A board's ingest shards, its hub (live fan-in and fan-out), and relays for viewers past a hub's share. */
  SHARDS: DurableObjectNamespace<ShardObject>;
  HUBS: DurableObjectNamespace<HubObject>;
  RELAYS: DurableObjectNamespace<RelayObject>;
  /** HMAC key for every token; `npm run dev` writes a random one to .dev.vars. */
  EDGEPULSE_SECRET: string;
  /** During a rotation, the secret before EDGEPULSE_SECRET: tokens it signed are still accepted. */
  EDGEPULSE_SECRET_PREVIOUS?: string;
  ALLOWED_ORIGINS: string;
  LIVE_TICK_MS: string;
  PRESENCE_TIMEOUT_MS: string;
  RAW_RETENTION_MS: string;
  RAW_MAX_POINTS: string;
  LIVE_MAX_UNACKED_BYTES: string;
  DEVICE_REQUESTS_PER_10S: string;
  CHECKPOINT_INTERVAL_MS: string;
  BOARD_SHARDS: string;
  VIEWERS_PER_OBJECT: string;
  SERIES_PER_DEVICE?: string;
  VIEWERS_PER_BOARD?: string;
  UPGRADE_LIMITER: RateLimit;
}
