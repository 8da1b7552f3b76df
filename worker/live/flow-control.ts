interface ViewerFlow {
  /** Frames acknowledged so far; the sizes of the frames sent after them, and their total. */
  base: number;
  sizes: number[];
  bytes: number;
}

/**
 * Unacknowledged frame bytes per viewer. workerd exposes no send-buffer size on server sockets
 * (https://github.com/cloudflare/workerd/issues/988), so clients send `ack` messages (the number of frames they have
 * processed on this connection) to tell us how far they got. Every viewer is held to the same budget from its first
 * frame, acking or not: one more than `limitBytes` behind is cut off instead of growing the runtime's buffers (a
 * client that never acks is closed once it received that much, and resumes from its position).
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

  /** Records that the viewer processed its first `frames` frames. */
  ack(viewer: Viewer, frames: number): void {
    const flow = this.flowOf(viewer);
    while (flow.base < frames && flow.sizes.length > 0) {
      flow.bytes -= flow.sizes.shift()!;
      flow.base++;
    }
  }

  /** Records a frame sent; false when the viewer is now too far behind. */
  sent(viewer: Viewer, bytes: number): boolean {
    const flow = this.flowOf(viewer);
    flow.sizes.push(bytes);
    flow.bytes += bytes;
    return flow.bytes <= this.limitBytes;
  }

  forget(viewer: Viewer): void {
    this.viewers.delete(viewer);
  }
}
