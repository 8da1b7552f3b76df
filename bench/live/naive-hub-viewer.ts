import type { NaiveRow } from "../baselines/naive-points.ts";
import type { Reception } from "./reception.ts";
import type { SocketProtocol } from "./socket-viewer.ts";

/** The naive hub's socket: one JSON text message per point. */
export function naiveHubProtocol(origin: string, board: string): SocketProtocol {
  return {
    url: `${origin.replace(/^http/, "ws")}/bench/naive-hub/${board}/live`,
    protocols: [],
    read(reception: Reception, now: number, data: string | ArrayBuffer): void {
      reception.point(now, (JSON.parse(data as string) as NaiveRow).ts);
    },
  };
}
