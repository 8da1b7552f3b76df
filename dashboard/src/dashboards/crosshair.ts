/** The time under the pointer, shared by every time series panel of a dashboard (Grafana's shared crosshair). */
export class Crosshair {
  private readonly listeners = new Set<(time: number | null) => void>();
  private pending: number | null | undefined;
  private scheduled = false;

  private readonly schedule: (run: () => void) => void;

  /** `schedule`: requestAnimationFrame, in a page. */
  constructor(schedule: (run: () => void) => void) {
    this.schedule = schedule;
  }

  /** Every panel hears of it once per frame at most, however often the pointer moves. */
  set(time: number | null): void {
    this.pending = time;
    if (this.scheduled) return;
    this.scheduled = true;
    this.schedule(() => {
      this.scheduled = false;
      const value = this.pending ?? null;
      for (const listener of this.listeners) listener(value);
    });
  }

  subscribe(listener: (time: number | null) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
