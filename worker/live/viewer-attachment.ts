/** A live query a socket holds, as its attachment keeps it: enough to resume it after its object was evicted. */
export interface HeldQuery {
  id: string;
  expr: string;
  /** ms */
  step: number;
  /** The next step the socket is to get (ms); null before its history: the last 5 minutes. */
  from: number | null;
}

/** What a viewer socket carries across hibernation and eviction of its object. */
export interface ViewerAttachment {
  selectors: string[];
  /** Its pace (see `pace` messages); absent: every flush. */
  paceMs?: number;
  /** Its live PromQL subscriptions; absent: none. */
  queries?: HeldQuery[];
}

/** Each socket's attachment as last written or read here: an update (one per step sent) need not deserialize it. */
const known = new WeakMap<WebSocket, ViewerAttachment>();

export function readAttachment(socket: WebSocket): ViewerAttachment | null {
  let attachment = known.get(socket);
  if (attachment === undefined) {
    attachment = (socket.deserializeAttachment() as ViewerAttachment | null) ?? undefined;
    if (attachment) known.set(socket, attachment);
  }
  return attachment ?? null;
}

export function writeAttachment(socket: WebSocket, attachment: ViewerAttachment): void {
  socket.serializeAttachment(attachment);
  known.set(socket, attachment);
}

/** Changes some of what a socket carries, keeping the rest (a socket's raw subscription and its queries). */
export function updateAttachment(socket: WebSocket, change: Partial<ViewerAttachment>): void {
  writeAttachment(socket, { ...(readAttachment(socket) ?? { selectors: [] }), ...change });
}
