import { DurableObject } from "cloudflare:workers";
import type { BenchEnv } from "./env.ts";
import type { NaivePoint, NaiveRow } from "./naive-points.ts";

/**
 * Baseline fan-out: sockets accepted with `accept()` (the object never hibernates) and one JSON text message per
 * point per viewer, sent as the batch arrives. Stores nothing.
 */
export class NaiveHubObject extends DurableObject<BenchEnv> {
  private readonly viewers = new Set<WebSocket>();

  /** Accepts a viewer socket; the Worker has checked the upgrade header. */
  override async fetch(): Promise<Response> {
    const pair = new WebSocketPair();
    const server = pair[1];
    server.accept();
    this.viewers.add(server);
    const forget = () => this.viewers.delete(server);
    server.addEventListener("close", forget);
    server.addEventListener("error", forget);
    return new Response(null, { status: 101, webSocket: pair[0] });
  }

  /** Sends every point to every viewer; returns the number of messages sent. */
  publish(device: string, points: NaivePoint[]): number {
    let sent = 0;
    for (const { metric, ts, value } of points) {
      const message = JSON.stringify({ device, metric, ts, value } satisfies NaiveRow);
      for (const viewer of this.viewers) {
        try {
          viewer.send(message);
          sent++;
        } catch {
          this.viewers.delete(viewer);
        }
      }
    }
    return sent;
  }
}
