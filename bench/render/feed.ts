/** What every page of the rendering benchmark draws: `SERIES` series, each updated `HZ` times a second. */
export const SERIES = 50;
export const HZ = 10;
/** Points each chart keeps: 30 s at 10 updates a second, like a live window. */
export const KEEP = 300;

/** Calls `tick` HZ times a second with the time and one new value per series (a random walk). */
export function startFeed(tick: (ts: number, values: Float64Array) => void): void {
  const values = Float64Array.from({ length: SERIES }, () => 50 + Math.random() * 10);
  setInterval(() => {
    for (let i = 0; i < SERIES; i++) values[i] = values[i]! + (Math.random() - 0.5) * 2;
    tick(Date.now(), values);
  }, 1000 / HZ);
}

/** A card of the same size as the dashboard's, holding a chart container. */
export function chartBox(grid: HTMLElement, title: string): HTMLElement {
  const card = document.createElement("article");
  card.className = "card";
  const header = document.createElement("header");
  header.className = "card-header";
  header.textContent = title;
  const box = document.createElement("div");
  box.className = "card-chart";
  card.append(header, box);
  grid.append(card);
  return box;
}
