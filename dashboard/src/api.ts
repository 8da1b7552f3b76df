/** The parts of `fetch`'s init the API calls use. */
export interface ApiRequest {
  method?: "GET" | "POST";
  signal?: AbortSignal;
}

/** Calls the board API with the viewer token and reads its JSON answer; throws with the API's error code on failure. */
export async function fetchJson<T>(url: string, token: string, request: ApiRequest = {}): Promise<T> {
  const response = await fetch(url, { ...request, headers: { authorization: `Bearer ${token}` } });
  if (!response.ok) {
    const body = (await response.json().catch(() => null)) as { error?: { code?: string } } | null;
    const code = body?.error?.code ? ` ${body.error.code}` : "";
    throw new Error(`${request.method ?? "GET"} ${new URL(url).pathname} answered ${response.status}${code}`);
  }
  return (await response.json()) as T;
}
