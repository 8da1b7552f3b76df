interface ViewerFlow {
  /** Frames sent so far on this connection. */
  sent: number;
  /** From the first ack on: the sizes of frames `base`.. not yet acknowledged, and their total. */
  enrolled: boolean;
  base: number;
  sizes: number[];
  bytes: number;
}

/**
 * Unacknowledged frame bytes per viewer. workerd exposes no send-buffer size on server sockets
 * (https://github.com/cloudflare/workerd/issues/988), so clients that opt in by sending `ack` messages (the number of
 * frames they have processed on this connection) tell us how far they got; one that falls more than `limitBytes`
 * behind is cut off instead of growing the runtime's buffers.
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
      flow = { sent: 0, enrolled: false, base: 0, sizes: [], bytes: 0 };
      this.viewers.set(viewer, flow);
    }
    return flow;
  }

  /** Records that the viewer processed its first `frames` frames; the first ack enrols it. */
  ack(viewer: Viewer, frames: number): void {
    const flow = this.flowOf(viewer);
    if (!flow.enrolled) {
      flow.enrolled = true;
      flow.base = flow.sent;
    }
    while (flow.base < frames && flow.sizes.length > 0) {
      flow.bytes -= flow.sizes.shift()!;
      flow.base++;
    }
  }

  /** Records a frame sent; false when an enrolled viewer is now too far behind. */
  sent(viewer: Viewer, bytes: number): boolean {
    const flow = this.flowOf(viewer);
    flow.sent++;
    if (!flow.enrolled) return true;
    flow.sizes.push(bytes);
    flow.bytes += bytes;
    return flow.bytes <= this.limitBytes;
  }

  forget(viewer: Viewer): void {
    this.viewers.delete(viewer);
  }
}
