import type { AlertEvent } from "./alerts.ts";
import type { Labels } from "./labels.ts";
import {
  type LiveQueryError,
  type LiveQueryMessage,
  type LiveResult,
  parseLiveQueryMessage,
} from "./live-query.ts";
import type { StreamPosition } from "./positions.ts";
import type { LastPoint } from "./sample-value.ts";
import { MAX_SELECTORS, MAX_SELECTORS_TEXT, parseSelector, selectorsFit } from "./selectors.ts";

/**
 * edgepulse live protocol, version 2: the JSON control messages.
 * Shared by the Worker and the dashboard; no runtime dependencies.
 * Data travels separately as binary frames (see `frame.ts`).
 */

export const PROTOCOL_VERSION = 2;
/** WebSocket subprotocol the server selects. */
export const SUBPROTOCOL = "edgepulse.v2";
/** A viewer token travels as a second subprotocol `bearer.<token>`: browsers cannot set headers on a WebSocket. */
export const TOKEN_SUBPROTOCOL_PREFIX = "bearer.";
/** Text the runtime answers with `pong` without waking the board. */
export const PING = "ping";
export const PONG = "pong";

/** How a series' values behave: levels, running totals (shown as rates), or per-interval changes. */
export type SeriesKind = "gauge" | "counter" | "delta";

/**
 * A series is one metric of one device with one set of labels; its `id` is assigned by the shard that stores it
 * (the shard's sid times SERIES_PER_SHARD_ID_SPACE, plus its own number) and never reused within the shard's epoch.
 * `labels`, `unit` and `kind` are present when known.
 */
export interface SeriesDef {
  id: number;
  device: string;
  metric: string;
  labels?: Labels;
  /** UCUM-style unit as the source gave it (OTLP `unit`, JSON `unit`), e.g. `s`, `By`, `%`. */
  unit?: string;
  kind?: SeriesKind;
}

export interface SeriesState extends SeriesDef {
  /** Last point (ts in ms), absent until checkpointed state or a point exists. */
  last?: LastPoint;
}

export interface DevicePresence {
  device: string;
  online: boolean;
  lastSeen: number;
}

export type ServerMessage =
  | {
      type: "hello";
      v: typeof PROTOCOL_VERSION;
      board: string;
      /** The board's position now: frames up to it may still follow (a replay). */
      positions: StreamPosition;
      /** The longest the server holds a batch to coalesce it with others (it holds none while fan-out is cheap). */
      tickMs: number;
      resumed: boolean;
    }
  /** Catalog of the subscribed series with their last values, as of `positions`; on connect and after `subscribe`. */
  | { type: "snapshot"; positions: StreamPosition; series: SeriesState[] }
  /** New series entered the subscription: their ids appear in frames from now on. */
  | { type: "series"; series: SeriesDef[] }
  | { type: "presence"; devices: DevicePresence[]; viewers: number }
  /** An alert rule's alert for a series changed state (every viewer of the board gets these). */
  | { type: "alert"; event: AlertEvent }
  /** The resume point is gone: drop local state and refetch history. */
  | { type: "reset"; reason: string; positions: StreamPosition }
  | { type: "error"; code: string; message: string }
  /** A live query's steps (see `live-query.ts`). */
  | ({ type: "result" } & LiveResult)
  /** A live query's expression failed, as `query_range` would answer it; that subscription ends. */
  | ({ type: "query_error" } & LiveQueryError);

/** Answer of `GET /boards/:board/poll`: control messages, then base64 frames, and the position to poll after. */
export interface PollAnswer {
  positions: StreamPosition;
  messages: ServerMessage[];
  frames: string[];
}

export type ClientMessage =
  /** Replaces the subscription; see `selectors.ts` for the grammar. */
  | { type: "subscribe"; series: string[] }
  | { type: "unsubscribe"; series: string[] }
  /**
   * Flow control: the first `frames` binary frames, and the first `results` live PromQL answers (`result` and
   * `query_error` messages), of this connection have been processed. A socket far behind on either is cut off (1013),
   * acking or not; an ack without `results` leaves that count where it was.
   */
  | { type: "ack"; frames: number; results?: number }
  /**
   * Pacing: at most `maxFps` frames a second (a phone, a hidden tab), coalesced, or null for every flush. Frames
   * held meanwhile follow in order, so nothing is lost; on changing pace the viewer first gets what was held for it.
   */
  | { type: "pace"; maxFps: number | null }
  /** Live PromQL subscriptions (see `live-query.ts`). */
  | LiveQueryMessage;

/** The URL parameter that paces a live socket or SSE stream from its start. */
export const PACE_PARAM = "max_fps";

/** The frame rates a viewer may ask for (also `max_fps=` on the live and events URLs). */
export const PACE_LIMITS = { minFps: 0.1, maxFps: 60 } as const;

/** Whether a frame rate is one a viewer may ask for. */
export function validPace(maxFps: unknown): maxFps is number {
  return typeof maxFps === "number" && maxFps >= PACE_LIMITS.minFps && maxFps <= PACE_LIMITS.maxFps;
}

/** The least time between a paced viewer's frames (ms); 0 without pacing. */
export function paceIntervalMs(maxFps: number | null): number {
  return maxFps === null ? 0 : Math.round(1000 / maxFps);
}

/** A client message's longest text: 32 selectors of 512 chars in JSON fit. */
export const MAX_CLIENT_MESSAGE = 20_000;

/** Parses and checks a client message; returns an error text instead of throwing. */
export function parseClientMessage(text: string): ClientMessage | { error: string } {
  if (text.length > MAX_CLIENT_MESSAGE) return { error: `messages are at most ${MAX_CLIENT_MESSAGE} chars` };
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return { error: "message is not valid JSON" };
  }
  if (typeof raw !== "object" || raw === null) return { error: "message must be an object" };
  const { type, series, frames, results, maxFps } = raw as Record<string, unknown>;
  if (type === "pace") {
    return maxFps === null || validPace(maxFps)
      ? { type, maxFps }
      : { error: `pace needs maxFps from ${PACE_LIMITS.minFps} to ${PACE_LIMITS.maxFps}, or null` };
  }
  if (type === "ack") {
    const count = (n: unknown) => Number.isSafeInteger(n) && (n as number) >= 0;
    if (!count(frames)) return { error: "ack needs a non-negative integer frames" };
    if (results === undefined) return { type, frames: frames as number };
    return count(results)
      ? { type, frames: frames as number, results: results as number }
      : { error: "ack's results must be a non-negative integer" };
  }
  if (type === "query" || type === "unquery") return parseLiveQueryMessage(raw as Record<string, unknown>);
  if (type !== "subscribe" && type !== "unsubscribe") {
    return { error: "type must be subscribe, unsubscribe, ack, pace, query or unquery" };
  }
  if (!Array.isArray(series) || series.length > MAX_SELECTORS) {
    return { error: `series must be an array of at most ${MAX_SELECTORS} selectors` };
  }
  for (const selector of series) {
    if (typeof selector !== "string") return { error: "selectors must be strings" };
    const parsed = parseSelector(selector);
    if ("error" in parsed) return { error: parsed.error };
  }
  if (!selectorsFit(series)) return { error: `selectors may hold ${MAX_SELECTORS_TEXT} chars in all` };
  return { type, series: series as string[] };
}
