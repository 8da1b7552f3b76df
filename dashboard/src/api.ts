/** The parts of `fetch`'s init the API calls use. */
export interface ApiRequest {
  method?: "GET" | "POST" | "PUT" | "DELETE";
  signal?: AbortSignal;
  /** Sent as JSON. */
  json?: unknown;
}

/** A refusal of the board API: its status and error code (`version_conflict`, …) beside the message. */
export class ApiCallError extends Error {
  readonly status: number;
  readonly code: string | undefined;
  constructor(message: string, status: number, code: string | undefined) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

/** Calls the board API with the viewer token and reads its JSON answer; throws with the API's error code on failure. */
export async function fetchJson<T>(url: string, token: string, request: ApiRequest = {}): Promise<T> {
  const { json, ...init } = request;
  const headers: Record<string, string> = { authorization: `Bearer ${token}` };
  if (json !== undefined) headers["content-type"] = "application/json";
  const body = json === undefined ? undefined : JSON.stringify(json);
  const response = await fetch(url, { ...init, headers, body });
  if (!response.ok) {
    const answer = (await response.json().catch(() => null)) as {
      error?: { code?: string; message?: string };
    } | null;
    const code = answer?.error?.code ? ` ${answer.error.code}` : "";
    const message = answer?.error?.message ? `: ${answer.error.message}` : "";
    throw new ApiCallError(
      `${request.method ?? "GET"} ${new URL(url).pathname} answered ${response.status}${code}${message}`,
      response.status,
      answer?.error?.code,
    );
  }
  return (await response.json()) as T;
}
