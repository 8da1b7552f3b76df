/**
 * Unacknowledged frame bytes per viewer. workerd exposes no send-buffer size on server sockets
 * (https://github.com/cloudflare/workerd/issues/988), so clients that opt in by sending `ack` messages tell us how far
 * they got; one that falls more than `limitBytes` behind is cut off instead of growing the runtime's buffers.
 */
export class FlowControl<Viewer> {
  private readonly limitBytes: number;
  private readonly viewers = new Map<
    Viewer,
    { frames: Array<[seq: number, bytes: number]>; bytes: number }
  >();

  constructor(limitBytes: number) {
    this.limitBytes = limitBytes;
  }

  /** Records an acknowledgement of every frame up to `seq`; the first one enrols the viewer. */
  ack(viewer: Viewer, seq: number): void {
    let state = this.viewers.get(viewer);
    if (!state) {
      state = { frames: [], bytes: 0 };
      this.viewers.set(viewer, state);
    }
    let acked = 0;
    while (acked < state.frames.length && state.frames[acked]![0] <= seq)
      state.bytes -= state.frames[acked++]![1];
    state.frames.splice(0, acked);
  }

  /** Records a frame sent to an enrolled viewer; false when the viewer is now too far behind. */
  sent(viewer: Viewer, seq: number, bytes: number): boolean {
    const state = this.viewers.get(viewer);
    if (!state) return true;
    state.frames.push([seq, bytes]);
    state.bytes += bytes;
    return state.bytes <= this.limitBytes;
  }

  forget(viewer: Viewer): void {
    this.viewers.delete(viewer);
  }
}
