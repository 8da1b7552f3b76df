import * as v from "valibot";
import type { TokenClaims } from "../auth/tokens.ts";
import type { AdminAlertRule } from "../protocol/alerts.ts";
import type { BoardLimits } from "../protocol/index.ts";
import { MAX_SERIES_PER_SHARD } from "../shard/series-catalog.ts";
import type { BoardConfig } from "./config.ts";
import { MAX_SHARDS } from "./shards.ts";

/** A board's limits, its revoked credentials and alert rules, as its hub keeps them and hands them to every shard. */
export interface BoardPolicy {
  /** Only the limits an admin set; the others follow the deployment's defaults. */
  limits: Partial<BoardLimits>;
  /** Revoked credentials, as `principal` names them. */
  revoked: string[];
  /** Alert rules, oldest first, with their webhook secrets (shards sign webhooks). */
  alerts: AdminAlertRule[];
  /** How many changes the hub made: shards ignore an older policy that arrives late. */
  version: number;
}

const count = (max: number) => v.pipe(v.number(), v.safeInteger(), v.minValue(1), v.maxValue(max));

/** The body of `PUT …/admin/limits`: any of the limits, nothing else; `null` returns one to its default. */
export const LimitsPatch = v.strictObject({
  seriesPerBoard: v.optional(v.nullable(count(MAX_SERIES_PER_SHARD * MAX_SHARDS))),
  seriesPerDevice: v.optional(v.nullable(count(MAX_SERIES_PER_SHARD))),
  viewers: v.optional(v.nullable(count(10_000_000))),
});
export type LimitsPatch = v.InferOutput<typeof LimitsPatch>;

export function defaultLimits(config: BoardConfig): BoardLimits {
  return {
    seriesPerBoard: MAX_SERIES_PER_SHARD * config.shards,
    seriesPerDevice: config.seriesPerDevice,
    viewers: config.viewersPerBoard,
  };
}

export function effectiveLimits(policy: BoardPolicy, config: BoardConfig): BoardLimits {
  return { ...defaultLimits(config), ...policy.limits };
}

/** Series one shard of the current layout may hold under the board's limit. */
export function seriesPerShard(limits: BoardLimits, shards: number): number {
  return Math.min(MAX_SERIES_PER_SHARD, Math.ceil(limits.seriesPerBoard / shards));
}

/** Applies a patch: numbers set a limit, `null` forgets it. */
export function patchLimits(limits: Partial<BoardLimits>, patch: LimitsPatch): Partial<BoardLimits> {
  const next = { ...limits };
  for (const name of ["seriesPerBoard", "seriesPerDevice", "viewers"] as const) {
    const value = patch[name];
    if (value === null) delete next[name];
    else if (value !== undefined) next[name] = value;
  }
  return next;
}

/** Whom a revocation names: a device (its device tokens) or a gateway (its gateway tokens), by name. */
export type PrincipalKind = "device" | "gateway";

export function principal(kind: PrincipalKind, name: string): string {
  return `${kind}:${name}`;
}

/** The credential an ingest token stands for. */
export function principalOf(claims: TokenClaims): string {
  return claims.kind === "gateway"
    ? principal("gateway", claims.gateway ?? "")
    : principal("device", claims.device ?? "");
}
