import type { ConnectionStatus } from "./reconnecting-socket.ts";

export interface ConnectionElements {
  /** Styled by `data-state`. */
  container: HTMLElement;
  /** Text is the state name: CONNECTING, OPEN, CLOSING or CLOSED. */
  state: HTMLElement;
  detail: HTMLElement;
}

/** Shows the connection state, and when the next attempt is due while reconnecting. */
export function showConnectionStatus(elements: ConnectionElements, status: ConnectionStatus): void {
  elements.state.textContent = status.state;
  elements.container.dataset.state = status.state.toLowerCase();
  elements.detail.textContent =
    status.retryInMs === undefined
      ? ""
      : `retrying in ${(status.retryInMs / 1000).toFixed(1)} s (attempt ${status.attempt})`;
}
