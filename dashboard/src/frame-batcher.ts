/**
 * Wraps `render` so that any number of calls within one animation frame render once, at the frame.
 * @example const requestRender = frameBatcher(() => chart.update("none"), requestAnimationFrame);
 */
export function frameBatcher(
  render: () => void,
  requestFrame: (callback: () => void) => unknown,
): () => void {
  let scheduled = false;
  return () => {
    if (scheduled) return;
    scheduled = true;
    requestFrame(() => {
      scheduled = false;
      render();
    });
  };
}
