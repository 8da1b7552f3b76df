/**
 * Alert rules and their transitions, as the API and the live protocol carry them. Shared by the Worker and the
 * dashboard; no runtime dependencies.
 */

import type { Labels } from "./labels.ts";
import type { JsonValue } from "./sample-value.ts";

/** A threshold compares each point with `threshold`; `nodata` fires when a matching series is silent for `forMs`. */
export type AlertOp = ">" | "<" | ">=" | "<=" | "nodata";

/** A rule as an admin writes it (`POST …/alerts`). */
export interface AlertRuleSpec {
  name: string;
  /** A series selector (see `selectors.ts`): the rule watches every series it matches, each on its own. */
  series: string;
  op: AlertOp;
  /** Required for threshold ops, absent for `nodata`. */
  threshold?: number;
  /** How long the condition must hold before the alert fires (0: at once). */
  forMs: number;
  /** A firing alert resolves once a point is past this instead of `threshold` (hysteresis). */
  clearThreshold?: number;
  /** Firing and resolved transitions are POSTed here, signed (see README "Alerts"). */
  webhook?: string;
}

/** A stored rule: its id, and when it was created. */
export interface AlertRule extends AlertRuleSpec {
  id: string;
  createdAt: number;
}

/** A rule as its admin sees it: with the secret its webhooks are signed with. */
export interface AdminAlertRule extends AlertRule {
  webhookSecret?: string;
}

/**
 * What a rule's alert for one series became: `pending` (the condition holds, `forMs` not yet), `firing`, or
 * `resolved` (it stopped holding; `from` says whether it had fired).
 */
export type AlertState = "pending" | "firing" | "resolved";

export interface AlertEvent {
  rule: string;
  name: string;
  /** The series, as a person names it (`device:metric{labels}`). */
  series: string;
  state: AlertState;
  from: "ok" | "pending" | "firing";
  /** When it happened: the point's timestamp, or the deadline a silent series passed (ms). */
  at: number;
  /** The value that caused it (NaN and ±Inf as text); null for `nodata`. */
  value: JsonValue | null;
  /** The shard that evaluated it, and its own number for the event: together they order and deduplicate events. */
  sid: number;
  seq: number;
  /** A rule file's alert: the labels of what it is about (its result series'), to find the charts it concerns. */
  labels?: Labels;
}

/** A rule file's alerting rule, as `GET …/alerts` lists it beside the threshold rules. */
export interface PromqlAlertRule {
  /** `promql:<group>:<alert>`, the id its alerts and transitions carry. */
  id: string;
  group: string;
  name: string;
  expr: string;
  forMs: number;
}

/** An alert that holds now (pending or firing), as `GET …/alerts` lists it per rule. */
export interface ActiveAlert {
  rule: string;
  series: string;
  state: "pending" | "firing";
  since: number;
  value: JsonValue | null;
  /** As in `AlertEvent`. */
  labels?: Labels;
}

/** The longest a condition may be required to hold, and the most rules a board keeps. */
export const ALERT_LIMITS = {
  maxForMs: 7 * 24 * 3_600_000,
  maxRules: 100,
  maxNameLength: 128,
  maxWebhookLength: 2048,
} as const;
