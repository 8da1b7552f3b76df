import type { Alert } from "./alert-state.ts";
import type { AlertmanagerAlert } from "./alertmanager.ts";

/** A firing group is notified again after this long without change, as Alertmanager's `repeat_interval` default. */
export const WEBHOOK_REPEAT_MS = 4 * 3_600_000;
const GO_ZERO_TIME = "0001-01-01T00:00:00Z";

/** What a group of alerts (one alert name) was last notified as: its firing alerts, and when. */
export interface Notified {
  firing: string;
  at: number;
}

/** Alertmanager's webhook payload, version 4. */
export interface AlertmanagerWebhook {
  version: "4";
  groupKey: string;
  truncatedAlerts: 0;
  status: "firing" | "resolved";
  receiver: string;
  groupLabels: Record<string, string>;
  commonLabels: Record<string, string>;
  commonAnnotations: Record<string, string>;
  externalURL: string;
  alerts: Array<{
    status: "firing" | "resolved";
    labels: Record<string, string>;
    annotations: Record<string, string>;
    startsAt: string;
    endsAt: string;
    generatorURL: string;
    fingerprint: string;
  }>;
}

const utf8 = new TextEncoder();

/** Alertmanager's fingerprint of a label set: FNV-1a 64 over sorted name, 0xff, value, 0xff; 16 hex digits. */
export function fingerprint(labels: Record<string, string>): string {
  let hash = 0xcbf29ce484222325n;
  const add = (byte: number) => {
    hash = ((hash ^ BigInt(byte)) * 0x100000001b3n) & 0xffffffffffffffffn;
  };
  for (const name of Object.keys(labels).sort()) {
    for (const byte of utf8.encode(name)) add(byte);
    add(0xff);
    for (const byte of utf8.encode(labels[name]!)) add(byte);
    add(0xff);
  }
  return hash.toString(16).padStart(16, "0");
}

/** The pairs every member has alike. */
function common(maps: Array<Record<string, string>>): Record<string, string> {
  const [first, ...rest] = maps;
  return Object.fromEntries(Object.entries(first ?? {}).filter(([k, v]) => rest.every((m) => m[k] === v)));
}

/**
 * Webhook notices after an evaluation at `ts`, one per alert name whose firing alerts changed (or that kept
 * firing for WEBHOOK_REPEAT_MS): its firing alerts and those resolved since the last notice, as Alertmanager's
 * webhook receiver would get them grouped by `alertname`.
 */
export function webhookNotices(
  alerts: Array<{ alert: Alert; sent: AlertmanagerAlert }>,
  previous: Record<string, Notified>,
  ts: number,
  externalURL: string,
): { notices: AlertmanagerWebhook[]; notified: Record<string, Notified> } {
  const byName = new Map<string, Array<{ alert: Alert; sent: AlertmanagerAlert }>>();
  for (const entry of alerts) {
    const name = entry.alert.labels.alertname ?? "";
    byName.set(name, [...(byName.get(name) ?? []), entry]);
  }
  const notices: AlertmanagerWebhook[] = [];
  const notified: Record<string, Notified> = {};
  for (const name of new Set([...byName.keys(), ...Object.keys(previous)])) {
    const last = previous[name] ?? { firing: "", at: 0 };
    const entries = byName.get(name) ?? [];
    const firing = entries.filter((e) => e.alert.state === "firing");
    const key = firing
      .map((e) => fingerprint(e.alert.labels))
      .sort()
      .join(",");
    const changed = key !== last.firing;
    const repeat = key !== "" && ts - last.at >= WEBHOOK_REPEAT_MS;
    if (!changed && !repeat) {
      if (key !== "") notified[name] = last;
      continue;
    }
    if (key !== "") notified[name] = { firing: key, at: ts };
    const resolved = entries.filter((e) => e.alert.state === "inactive" && e.alert.resolvedAt > last.at);
    const members = [...firing, ...resolved];
    if (members.length === 0) continue;
    notices.push({
      version: "4",
      groupKey: `{}:{alertname=${JSON.stringify(name)}}`,
      truncatedAlerts: 0,
      status: firing.length > 0 ? "firing" : "resolved",
      receiver: "edgepulse",
      groupLabels: { alertname: name },
      commonLabels: common(members.map((e) => e.alert.labels)),
      commonAnnotations: common(members.map((e) => e.alert.annotations)),
      externalURL,
      alerts: members.map(({ alert, sent }) => ({
        status: alert.state === "firing" ? "firing" : "resolved",
        labels: alert.labels,
        annotations: alert.annotations,
        startsAt: sent.startsAt,
        endsAt: alert.state === "firing" ? GO_ZERO_TIME : sent.endsAt,
        generatorURL: sent.generatorURL,
        fingerprint: fingerprint(alert.labels),
      })),
    });
  }
  return { notices, notified };
}
