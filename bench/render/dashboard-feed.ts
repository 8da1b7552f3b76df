import { HZ, KEEP } from "./feed.ts";

/**
 * What both 24-panel pages of the rendering benchmark draw: a dashboard of PANELS time series panels with LINES
 * lines each (5 hosts), KEEP points of history per line, then a new point per line HZ times a second (a
 * random walk), each page with its own chart library on the same 24-column grid.
 */
export const PANELS = 24;
export const LINES = 5;
export { HZ, KEEP };

/** `?layout=fit`: every panel on screen (6 rows of 4); otherwise Grafana's usual 3 a row, most below the fold. */
export function panelGrid(search: string): { w: number; h: number } {
  return new URLSearchParams(search).get("layout") === "fit" ? { w: 6, h: 3 } : { w: 8, h: 8 };
}

export type Lines = Array<{ xs: number[]; ys: number[] }>;

/** Every line's history, then `tick` with every line after each new point (the arrays are kept, KEEP long). */
export function startDashboardFeed(start: (lines: Lines) => void, tick: (lines: Lines) => void): void {
  const now = Date.now();
  const step = 1000 / HZ;
  const lines: Lines = Array.from({ length: PANELS * LINES }, (_, i) => {
    let value = 20 + (i % LINES) * 15;
    const xs: number[] = [];
    const ys: number[] = [];
    for (let k = KEEP; k > 0; k--) {
      value += (Math.random() - 0.5) * 2;
      xs.push(now - k * step);
      ys.push(value);
    }
    return { xs, ys };
  });
  start(lines);
  setInterval(() => {
    const ts = Date.now();
    for (const line of lines) {
      line.xs.push(ts);
      line.ys.push(line.ys.at(-1)! + (Math.random() - 0.5) * 2);
      if (line.xs.length > KEEP) {
        line.xs.shift();
        line.ys.shift();
      }
    }
    tick(lines);
  }, step);
}

/** Marks the first full draw (the frame after every panel on screen drew) for the benchmark to read. */
export function markFirstDraw(drawn: () => boolean = () => true): void {
  const check = () => {
    if (!drawn()) return requestAnimationFrame(check);
    requestAnimationFrame(() => {
      (globalThis as { __firstDraw?: number }).__firstDraw = performance.now();
    });
  };
  check();
}
