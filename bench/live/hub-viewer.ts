import {
  type ClientMessage,
  decodeFrame,
  type ServerMessage,
  SUBPROTOCOL,
  TOKEN_SUBPROTOCOL_PREFIX,
} from "../../worker/protocol/index.ts";
import type { Reception } from "./reception.ts";
import type { SocketProtocol } from "./socket-viewer.ts";

/** edgepulse's live socket: greeted by `snapshot`, data in binary frames decoded with the app's own codec. */
export function hubProtocol(origin: string, board: string, token: string): SocketProtocol {
  return {
    url: `${origin.replace(/^http/, "ws")}/api/v1/boards/${board}/live`,
    protocols: [SUBPROTOCOL, `${TOKEN_SUBPROTOCOL_PREFIX}${token}`],
    ack: (frames) => JSON.stringify({ type: "ack", frames } satisfies ClientMessage),
    greets: (data) => typeof data === "string" && (JSON.parse(data) as ServerMessage).type === "snapshot",
    read(reception: Reception, now: number, data: string | ArrayBuffer): void {
      if (typeof data === "string") return; // presence and series messages: counted as bytes only
      reception.tally.frames++;
      // Points of one sample share a timestamp: record each run once, so measuring costs the viewer thread little.
      for (const { ts } of decodeFrame(new Uint8Array(data)).groups) {
        let run = 0;
        for (let i = 0; i < ts.length; i++) {
          run++;
          if (ts[i + 1] !== ts[i]) {
            reception.point(now, ts[i]!, run);
            run = 0;
          }
        }
      }
    },
  };
}
