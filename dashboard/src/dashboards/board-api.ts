import type { AlertEvent } from "../../../worker/protocol/alerts.ts";
import type { Dashboard, DashboardSummary } from "../../../worker/protocol/dashboards.ts";
import { variableQueryRequest, variableQueryValues } from "../../../worker/protocol/variable-query.ts";
import type { FetchValues } from "../../../worker/protocol/variable-scope.ts";
import { fetchJson } from "../api.ts";
import type { AbsoluteRange } from "./time-expr.ts";

/** A board's dashboards API, its Prometheus API and its alert events, called with one token. */
export class BoardApi {
  readonly base: string;
  readonly prometheusBase: string;
  readonly token: string;

  constructor(page: string, board: string, token: string) {
    this.base = new URL(`/api/v1/boards/${encodeURIComponent(board)}/`, page).href;
    this.prometheusBase = `${this.base}prometheus`;
    this.token = token;
  }

  dashboards(): Promise<DashboardSummary[]> {
    return fetchJson<{ dashboards: DashboardSummary[] }>(`${this.base}dashboards`, this.token).then(
      (answer) => answer.dashboards,
    );
  }

  dashboard(uid: string): Promise<Dashboard> {
    return fetchJson<Dashboard>(`${this.base}dashboards/${encodeURIComponent(uid)}`, this.token);
  }

  /** Saves over `dashboard.version` (0 creates); a stale version throws an ApiCallError `version_conflict`. */
  save(dashboard: Dashboard): Promise<Dashboard> {
    return fetchJson<Dashboard>(`${this.base}dashboards/${encodeURIComponent(dashboard.uid)}`, this.token, {
      method: "PUT",
      json: dashboard,
    });
  }

  /** A read-only viewer token of the board that expires after `ttlSeconds` (admin tokens only). */
  viewerToken(ttlSeconds: number): Promise<{ token: string; expiresAt: number }> {
    return fetchJson(`${this.base}admin/viewer-tokens`, this.token, {
      method: "POST",
      json: { ttlSeconds },
    });
  }

  alertEvents(from: number, signal?: AbortSignal): Promise<AlertEvent[]> {
    const url = `${this.base}alerts/events?from=${Math.floor(from)}&limit=1000`;
    return fetchJson<{ events: AlertEvent[] }>(url, this.token, signal ? { signal } : {}).then(
      (answer) => answer.events,
    );
  }

  /** A Prometheus API call (`api/v1/query_range`, …); its error shape is Prometheus's. */
  async prometheus<T>(path: string, params: URLSearchParams, signal?: AbortSignal): Promise<T> {
    const response = await fetch(`${this.prometheusBase}/${path}?${params}`, {
      headers: { authorization: `Bearer ${this.token}` },
      ...(signal ? { signal } : {}),
    });
    const answer = (await response.json().catch(() => null)) as {
      status?: string;
      data?: T;
      error?: string | { message?: string };
    } | null;
    if (answer?.status === "success") return answer.data as T;
    const error = typeof answer?.error === "string" ? answer.error : answer?.error?.message;
    throw new Error(error ?? `${path} answered ${response.status}`);
  }

  /** Fetches a variable's values over `range` (for `resolveVariables`). */
  variableValues(range: AbsoluteRange): FetchValues {
    return async (query) => {
      const request = variableQueryRequest(query, range);
      const data = await this.prometheus<unknown>(request.path, request.params);
      return variableQueryValues(query, { data });
    };
  }
}
