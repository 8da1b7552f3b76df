import { fromBase64, type PollAnswer, type StreamPosition } from "../../worker/protocol/index.ts";
import { fetchJson } from "./api.ts";
import { pollUrl } from "./live-url.ts";
import type { Connector, TransportData } from "./reconnecting-socket.ts";
import { type StreamTarget, startAttempt } from "./transport-attempt.ts";

/** The board holds a poll up to 25 s; one that takes much longer is a dead connection. */
const POLL_TIMEOUT_MS = 40_000;

/** A poll answer as the live client wants it: its control messages as JSON text, then its frames. */
export function pollData(answer: PollAnswer): TransportData[] {
  return [...answer.messages.map((message) => JSON.stringify(message)), ...answer.frames.map(fromBase64)];
}

/**
 * Long polling: asks for what follows the last answer's position, again and again. The first answer opens the
 * connection; a failed poll ends it, and the reconnect loop resumes from the live client's position.
 */
export function pollConnector(target: StreamTarget): Connector {
  return (handlers) => {
    const attempt = startAttempt(handlers);
    const loop = async () => {
      let after: StreamPosition | null = target.resume();
      let opened = false;
      while (!attempt.ended) {
        const signal = AbortSignal.any([attempt.signal, AbortSignal.timeout(POLL_TIMEOUT_MS)]);
        // The first poll answers at once, so the connection opens even on an idle board.
        const url = pollUrl(target.page, target.board, after, opened ? undefined : 0, target.selectors);
        const answer = await fetchJson<PollAnswer>(url, target.token, { signal });
        if (attempt.ended) return;
        if (!opened) handlers.open();
        opened = true;
        for (const data of pollData(answer)) handlers.message(data);
        // The answer's position, not the last frame's: a subscription may filter out every batch.
        after = answer.positions;
      }
    };
    loop().catch((error: Error) => attempt.end(1006, `poll failed: ${error.message}`));
    return attempt.socket;
  };
}
