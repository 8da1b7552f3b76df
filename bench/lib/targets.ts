import type { HttpClient } from "./http.ts";
import { mintToken } from "./tokens.ts";

/** The backends a batch can be posted to. */
export type TargetName = "real" | "bare" | "naive-store" | "naive-hub";

/** What posting one batch came to. */
export interface Outcome {
  ok: boolean;
  status: number;
  /** Points the request carried (accepted only when `ok`). */
  points: number;
  /** SQLite rows the request wrote, when the backend reports it (the baselines do, the real app does not). */
  rows?: number;
}

/** Where and how a batch for `board` from `device` is posted. */
type Route = (board: string, device: string) => Promise<{ path: string; headers: Record<string, string> }>;

const JSON_HEADERS = { "content-type": "application/json" };

/**
 * Posts a batch to the real app (device token, `/api/v1/ingest`) or to a baseline (`/bench/...`, device in the query).
 * Tokens are minted once per board and device.
 */
export class Ingestor {
  private readonly client: HttpClient;
  private readonly routes: Record<TargetName, Route>;

  constructor(client: HttpClient, secret: string) {
    this.client = client;
    const tokens = new Map<string, Promise<string>>();
    const token = (board: string, device: string) => {
      const key = `${board}/${device}`;
      let minted = tokens.get(key);
      if (!minted) {
        minted = mintToken(secret, "device", board, device);
        tokens.set(key, minted);
      }
      return minted;
    };
    const baseline =
      (prefix: string): Route =>
      async (board, device) => ({
        path: `/bench/${prefix}/${board}/ingest?device=${device}`,
        headers: JSON_HEADERS,
      });
    this.routes = {
      real: async (board, device) => ({
        path: "/api/v1/ingest",
        headers: { ...JSON_HEADERS, authorization: `Bearer ${await token(board, device)}` },
      }),
      bare: baseline("bare"),
      "naive-store": baseline("naive"),
      "naive-hub": baseline("naive-hub"),
    };
  }

  /** Posts one JSON body of `points` points; network errors count as failed requests. */
  async post(
    target: TargetName,
    board: string,
    device: string,
    body: Buffer,
    points: number,
  ): Promise<Outcome> {
    const { path, headers } = await this.routes[target](board, device);
    try {
      const response = await this.client.send("POST", path, headers, body);
      const ok = response.status === 202;
      const rows = ok ? (JSON.parse(response.body) as { rowsWritten?: number }).rowsWritten : undefined;
      return { ok, status: response.status, points, ...(rows === undefined ? {} : { rows }) };
    } catch {
      return { ok: false, status: 0, points };
    }
  }
}
