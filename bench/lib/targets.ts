import type { BoardStats } from "../../worker/protocol/index.ts";
import type { BaselineStats } from "../baselines/baseline-stats.ts";
import type { HttpClient } from "./http.ts";
import { mintToken } from "./tokens.ts";

/** The backends a batch can be posted to. */
export type TargetName = "real" | "bare" | "naive-store" | "naive-hub" | "party";

/** What posting one batch came to. */
export interface Outcome {
  ok: boolean;
  status: number;
  /** Points the request carried (accepted only when `ok`). */
  points: number;
}

/** Where and how a batch for `board` from `device` is posted. */
type Route = (
  board: string,
  device: string,
  points: number,
) => Promise<{ path: string; headers: Record<string, string> }>;

const JSON_HEADERS = { "content-type": "application/json" };

/** A store's cumulative counters, read from its stats endpoint. Rows written include alarm writes (billed alike). */
export type StoreStats = BaselineStats & { databaseBytes?: number };

/**
 * Posts a batch to the real app (device token, `/api/v1/ingest`) or to a baseline (`/bench/...`, device in the query),
 * and reads their stats. Tokens are minted once per board and device.
 */
export class Ingestor {
  private readonly client: HttpClient;
  private readonly secret: string;
  private readonly routes: Record<TargetName, Route>;
  private readonly tokens = new Map<string, Promise<string>>();

  constructor(client: HttpClient, secret: string) {
    this.client = client;
    this.secret = secret;
    const baseline =
      (prefix: string): Route =>
      async (board, device, points) => ({
        path: `/bench/${prefix}/${board}/ingest?device=${device}&points=${points}`,
        headers: JSON_HEADERS,
      });
    this.routes = {
      real: async (board, device) => ({
        path: "/api/v1/ingest",
        headers: { ...JSON_HEADERS, authorization: `Bearer ${await this.token("device", board, device)}` },
      }),
      bare: baseline("bare"),
      "naive-store": baseline("naive"),
      "naive-hub": baseline("naive-hub"),
      party: async (board, device) => ({
        path: `/bench/parties/party-hub/${board}?device=${device}`,
        headers: JSON_HEADERS,
      }),
    };
  }

  private token(kind: "device" | "viewer", board: string, device?: string): Promise<string> {
    const key = `${kind}/${board}/${device}`;
    let minted = this.tokens.get(key);
    if (!minted) {
      minted = mintToken(this.secret, kind, board, device);
      this.tokens.set(key, minted);
    }
    return minted;
  }

  /** Posts one JSON body of `points` points; network errors count as failed requests. */
  async post(
    target: TargetName,
    board: string,
    device: string,
    body: Buffer,
    points: number,
  ): Promise<Outcome> {
    const { path, headers } = await this.routes[target](board, device, points);
    try {
      const response = await this.client.send("POST", path, headers, body);
      return { ok: response.status === 202, status: response.status, points };
    } catch {
      return { ok: false, status: 0, points };
    }
  }

  /** Cumulative counters of a board: the real board's `/stats`, or a baseline's. */
  async stats(target: "real" | "bare" | "naive-store", board: string): Promise<StoreStats> {
    if (target !== "real") {
      const prefix = target === "bare" ? "bare" : "naive";
      const response = await this.client.send("GET", `/bench/${prefix}/${board}/stats`);
      return JSON.parse(response.body) as BaselineStats;
    }
    const authorization = `Bearer ${await this.token("viewer", board)}`;
    const response = await this.client.send("GET", `/api/v1/boards/${board}/stats`, { authorization });
    if (response.status !== 200) throw new Error(`stats of ${board} answered ${response.status}`);
    const stats = JSON.parse(response.body) as BoardStats;
    return {
      rowsWritten: stats.rowsWritten + stats.alarmsSet,
      rowsRead: stats.rowsRead,
      requests: stats.ingest.requests,
      points: stats.ingest.points,
      databaseBytes: stats.databaseBytes,
    };
  }
}

/** Counter differences between two readings. */
export function statsDelta(before: StoreStats, after: StoreStats): BaselineStats {
  return {
    rowsWritten: after.rowsWritten - before.rowsWritten,
    rowsRead: after.rowsRead - before.rowsRead,
    requests: after.requests - before.requests,
    points: after.points - before.points,
  };
}
