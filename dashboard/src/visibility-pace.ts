import type { ClientMessage } from "../../worker/protocol/index.ts";

/** A hidden tab's frame rate: a frame every 5 s keeps it current enough, at a fraction of the work. */
export const HIDDEN_MAX_FPS = 0.2;

/** The part of `document` pacing uses. */
export interface VisibilitySource {
  readonly hidden: boolean;
  addEventListener(type: "visibilitychange", listener: () => void): void;
}

/** The pace message for a tab: slow while hidden, every frame while visible. */
export function paceMessage(hidden: boolean): string {
  return JSON.stringify({ type: "pace", maxFps: hidden ? HIDDEN_MAX_FPS : null } satisfies ClientMessage);
}

/**
 * Asks the board for frames at a slow pace while the tab is hidden and for every frame once it is visible again (the
 * board first sends what it held, so the charts catch up by seq). Returns what to call when a connection opens.
 */
export function paceWithVisibility(send: (text: string) => void, document: VisibilitySource): () => void {
  let sentHidden = false;
  const apply = () => {
    if (document.hidden === sentHidden) return;
    sentHidden = document.hidden;
    send(paceMessage(sentHidden));
  };
  document.addEventListener("visibilitychange", apply);
  return () => {
    // A new connection starts at full pace.
    sentHidden = false;
    apply();
  };
}
