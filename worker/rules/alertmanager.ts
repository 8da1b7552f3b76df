import type { Alert } from "./alert-state.ts";

/** An alert as Prometheus POSTs it to Alertmanager's `/api/v2/alerts`. */
export interface AlertmanagerAlert {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  startsAt: string;
  endsAt: string;
  generatorURL: string;
}

const SEND_TIMEOUT_MS = 10_000;

/** Prometheus's link to a rule's expression (strutil.TableLinkForExpression) under the board's Prometheus base. */
export function generatorUrl(externalUrl: string, expr: string): string {
  return `${externalUrl}/graph?${new URLSearchParams({ "g0.expr": expr, "g0.tab": "1" })}`;
}

/** As Prometheus's sendAlerts: starts when it fired, ends when it resolved, else when it stops being valid. */
export function alertmanagerAlert(alert: Alert, generatorURL: string): AlertmanagerAlert {
  return {
    labels: alert.labels,
    annotations: alert.annotations,
    startsAt: new Date(alert.firedAt).toISOString(),
    endsAt: new Date(alert.resolvedAt !== 0 ? alert.resolvedAt : alert.validUntil).toISOString(),
    generatorURL,
  };
}

/** `<url>/api/v2/alerts`, keeping a path prefix the Alertmanager is served under. */
const alertsEndpoint = (url: string) => {
  const target = new URL(url);
  target.pathname = `${target.pathname.replace(/\/+$/, "")}/api/v2/alerts`;
  return target.toString();
};

/**
 * POSTs the alerts to each Alertmanager; true per Alertmanager that answered 2xx. As in Prometheus, a failed send
 * is not retried: firing alerts are re-sent every resend delay, resolved ones for 15 min.
 */
export async function sendToAlertmanagers(urls: string[], alerts: AlertmanagerAlert[]): Promise<boolean[]> {
  if (alerts.length === 0) return [];
  const body = JSON.stringify(alerts);
  return Promise.all(
    urls.map(async (url) => {
      try {
        const response = await fetch(alertsEndpoint(url), {
          method: "POST",
          headers: { "Content-Type": "application/json", "User-Agent": "edgepulse-rules/1" },
          body,
          redirect: "manual",
          signal: AbortSignal.timeout(SEND_TIMEOUT_MS),
        });
        await response.body?.cancel();
        if (!response.ok) console.warn(`rules: alertmanager ${url} answered ${response.status}`);
        return response.ok;
      } catch (error) {
        console.warn(`rules: alertmanager ${url} unreachable: ${(error as Error).message}`);
        return false;
      }
    }),
  );
}
