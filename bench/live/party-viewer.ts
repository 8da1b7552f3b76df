import type { NaivePoint } from "../baselines/naive-points.ts";
import type { Reception } from "./reception.ts";
import type { SocketProtocol } from "./socket-viewer.ts";

/**
 * A partyserver room's socket, as `routePartykitRequest` serves it: one JSON message per device batch; `deflate`
 * false refuses permessage-deflate as our live route does.
 */
export function partyProtocol(
  origin: string,
  board: string,
  { deflate }: { deflate: boolean },
): SocketProtocol {
  return {
    url: `${origin.replace(/^http/, "ws")}/bench/parties/party-hub/${board}${deflate ? "" : "?deflate=off"}`,
    protocols: [],
    read(reception: Reception, now: number, data: string | ArrayBuffer): void {
      for (const { ts } of (JSON.parse(data as string) as { points: NaivePoint[] }).points)
        reception.point(now, ts);
    },
  };
}
