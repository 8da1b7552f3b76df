import { Server } from "partyserver";
import type { BenchEnv } from "./env.ts";
import { parseNaivePoints } from "./naive-points.ts";

/**
 * Baseline fan-out written on partyserver the way its README shows a room: hibernating connections, and each
 * device's batch (posted to the room over HTTP) broadcast to every connection as one JSON message. Stores nothing.
 */
export class PartyHub extends Server<BenchEnv> {
  static override options = { hibernate: true };

  override async onRequest(request: Request): Promise<Response> {
    if (request.method !== "POST") return new Response("POST a batch", { status: 405 });
    const device = new URL(request.url).searchParams.get("device") ?? "device";
    const points = parseNaivePoints(await request.json());
    this.broadcast(JSON.stringify({ device, points }));
    return Response.json({}, { status: 202 });
  }
}
