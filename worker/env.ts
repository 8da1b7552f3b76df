import type { BoardObject } from "./board/board-object.ts";

/** Bindings and variables from wrangler.toml and secrets. */
export interface Env {
  BOARDS: DurableObjectNamespace<BoardObject>;
  /** HMAC key for every token; `npm run dev` writes a random one to .dev.vars. */
  EDGEPULSE_SECRET: string;
  ALLOWED_ORIGINS: string;
  LIVE_TICK_MS: string;
  PRESENCE_TIMEOUT_MS: string;
  RAW_RETENTION_MS: string;
  RAW_MAX_POINTS: string;
  LIVE_MAX_UNACKED_BYTES: string;
  DEVICE_REQUESTS_PER_10S: string;
  CHECKPOINT_INTERVAL_MS: string;
  UPGRADE_LIMITER: RateLimit;
}
