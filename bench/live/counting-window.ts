/** The span during which viewers count what they receive; shared by the viewers of one thread. */
export class CountingWindow {
  private from = Number.POSITIVE_INFINITY;
  private until = Number.POSITIVE_INFINITY;

  open(at: number): void {
    this.from = at;
  }

  close(): void {
    this.until = Date.now();
  }

  /** Is `now` (ms since the epoch) inside the window? */
  has(now: number): boolean {
    return now >= this.from && now < this.until;
  }
}
