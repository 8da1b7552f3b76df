import type { AlertEvent, AlertRule } from "../protocol/alerts.ts";

/** Attempts per webhook before it is given up: with the backoff below, about two hours of retries. */
export const MAX_WEBHOOK_ATTEMPTS = 12;
const FIRST_RETRY_MS = 5_000;
const LONGEST_RETRY_MS = 30 * 60_000;
const WEBHOOK_TIMEOUT_MS = 10_000;
export const SIGNATURE_HEADER = "Edgepulse-Signature";
export const DELIVERY_HEADER = "Edgepulse-Delivery";

/** What a webhook POSTs. */
export interface WebhookBody {
  board: string;
  rule: Pick<AlertRule, "id" | "name" | "series" | "op" | "threshold" | "forMs">;
  event: AlertEvent;
}

const utf8 = new TextEncoder();

function hex(bytes: ArrayBuffer): string {
  return [...new Uint8Array(bytes)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/**
 * The signature header of a body sent at `timestamp` (unix seconds): `t=<timestamp>,v1=<hex HMAC-SHA256 of
 * "<timestamp>.<body>" under the rule's secret>`. A receiver recomputes it and refuses old timestamps (replays).
 */
export async function signWebhook(secret: string, timestamp: number, body: string): Promise<string> {
  const key = await crypto.subtle.importKey(
    "raw",
    utf8.encode(secret),
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["sign"],
  );
  const mac = await crypto.subtle.sign("HMAC", key, utf8.encode(`${timestamp}.${body}`));
  return `t=${timestamp},v1=${hex(mac)}`;
}

/** How long to wait after a failed attempt: doubling from 5 s up to 30 min, with jitter so retries spread. */
export function retryDelay(attempts: number, random = Math.random()): number {
  const ceiling = Math.min(LONGEST_RETRY_MS, FIRST_RETRY_MS * 2 ** (attempts - 1));
  return Math.round(ceiling / 2 + (random * ceiling) / 2);
}

/**
 * POSTs one signed webhook (a rule's WebhookBody, or a rule file's alerts in Alertmanager's format); true when the
 * receiver answered 2xx. `delivery` stays the same across retries.
 */
export async function sendWebhook(
  url: string,
  secret: string,
  body: object,
  delivery: string,
  now = Date.now(),
): Promise<boolean> {
  const text = JSON.stringify(body);
  try {
    const response = await fetch(url, {
      method: "POST",
      headers: {
        "Content-Type": "application/json",
        "User-Agent": "edgepulse-webhook/1",
        [SIGNATURE_HEADER]: await signWebhook(secret, Math.floor(now / 1000), text),
        [DELIVERY_HEADER]: delivery,
      },
      body: text,
      redirect: "manual",
      signal: AbortSignal.timeout(WEBHOOK_TIMEOUT_MS),
    });
    await response.body?.cancel();
    return response.ok;
  } catch {
    return false;
  }
}
