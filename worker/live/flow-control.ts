interface ViewerFlow {
  /** Messages acknowledged so far; the sizes of the messages sent after them, and their total. */
  base: number;
  sizes: number[];
  bytes: number;
}

/**
 * Unacknowledged bytes per viewer, of one kind of message (binary frames, or live query answers). workerd exposes no
 * send-buffer size on server sockets (https://github.com/cloudflare/workerd/issues/988), so clients send `ack`
 * messages (how many of these messages they have processed on this connection) to tell us how far they got. Every
 * viewer is held to the same budget from its first message, acking or not: one more than `limitBytes` behind is cut
 * off instead of growing the runtime's buffers (a client that never acks is closed once it received that much, and
 * resumes). A single message is never too far behind: one larger than the budget (a long history) goes out alone.
 */
export class FlowControl<Viewer> {
  private readonly limitBytes: number;
  private readonly viewers = new Map<Viewer, ViewerFlow>();

  constructor(limitBytes: number) {
    this.limitBytes = limitBytes;
  }

  private flowOf(viewer: Viewer): ViewerFlow {
    let flow = this.viewers.get(viewer);
    if (!flow) {
      flow = { base: 0, sizes: [], bytes: 0 };
      this.viewers.set(viewer, flow);
    }
    return flow;
  }

  /** Records that the viewer processed its first `count` messages. */
  ack(viewer: Viewer, count: number): void {
    const flow = this.flowOf(viewer);
    while (flow.base < count && flow.sizes.length > 0) {
      flow.bytes -= flow.sizes.shift()!;
      flow.base++;
    }
  }

  /** Records a message sent; false when the viewer is now too far behind. */
  sent(viewer: Viewer, bytes: number): boolean {
    const flow = this.flowOf(viewer);
    flow.sizes.push(bytes);
    flow.bytes += bytes;
    return flow.bytes <= this.limitBytes || flow.sizes.length === 1;
  }

  forget(viewer: Viewer): void {
    this.viewers.delete(viewer);
  }
}
