import { NAIVE_PAGE_POINTS, type NaivePage } from "../baselines/naive-points.ts";
import type { HttpClient } from "../lib/http.ts";
import type { Reception, Viewer } from "./reception.ts";

const POLL_INTERVAL_MS = 1000;

/** Polls the naive store once a second for the points stored since its cursor (a full page asks again at once). */
export class PollViewer implements Viewer {
  readonly reception: Reception;
  private readonly client: HttpClient;
  private readonly path: string;
  private cursor = 0;
  private polling = false;
  private closed = false;
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(client: HttpClient, board: string, reception: Reception) {
    this.client = client;
    this.path = `/bench/naive/${board}/since`;
    this.reception = reception;
  }

  /** Skips what is already stored: the viewer only wants what arrives from now on. */
  async open(): Promise<void> {
    while ((await this.fetchPage()).points.length > 0);
  }

  /** Polls every second from `at` plus a random phase, as independent browsers would. */
  start(at: number): void {
    const tick = () => {
      this.timer = setTimeout(tick, POLL_INTERVAL_MS);
      void this.poll();
    };
    this.timer = setTimeout(tick, Math.max(0, at - Date.now()) + Math.random() * POLL_INTERVAL_MS);
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.timer);
  }

  /** One poll, unless the previous one is still waiting for its answer. */
  private async poll(): Promise<void> {
    if (this.polling) return;
    this.polling = true;
    try {
      let page: NaivePage;
      do page = await this.fetchPage();
      while (page.points.length >= NAIVE_PAGE_POINTS && !this.closed);
    } catch {
      // Counted as missing points; the next tick tries again.
    } finally {
      this.polling = false;
    }
  }

  private async fetchPage(): Promise<NaivePage> {
    const response = await this.client.send("GET", `${this.path}?after=${this.cursor}`);
    if (response.status !== 200) throw new Error(`poll answered ${response.status}`);
    const now = Date.now();
    const page = JSON.parse(response.body) as NaivePage;
    if (this.reception.message(now, response.bytes)) {
      for (const point of page.points) this.reception.point(now, point.ts);
    }
    this.cursor = page.next;
    return page;
  }
}
