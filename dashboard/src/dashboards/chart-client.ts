import type {
  ChartLine,
  ChartPanelOptions,
  FromChartWorker,
  PlotGeometry,
  ToChartWorker,
} from "./chart-protocol.ts";

/** The one chart worker of the page, started with the first time series panel. */
let worker: Worker | null = null;
const listeners = new Map<number, (geometry: PlotGeometry, data: boolean) => void>();
let nextId = 1;

/** Starts the worker (if not yet), so its script loads while the page still lays out and fetches data. */
export function chartWorker(): Worker {
  if (!worker) {
    worker = new Worker(new URL("./chart-worker.ts", import.meta.url), { type: "module" });
    worker.onmessage = (event: MessageEvent<FromChartWorker>) =>
      listeners.get(event.data.id)?.(event.data.geometry, event.data.data);
  }
  return worker;
}

/** A chart drawn by the worker on `canvas`, which it takes over; `onDrawn` hears where each draw put the plot. */
export class WorkerChart {
  private readonly id = nextId++;

  constructor(
    canvas: HTMLCanvasElement,
    panel: ChartPanelOptions,
    onDrawn: (geometry: PlotGeometry, data: boolean) => void,
  ) {
    const offscreen = canvas.transferControlToOffscreen();
    listeners.set(this.id, onDrawn);
    this.send({ type: "create", id: this.id, canvas: offscreen, panel, ratio: devicePixelRatio || 1 }, [
      offscreen,
    ]);
  }

  resize(width: number, height: number): void {
    this.send({ type: "resize", id: this.id, width, height });
  }

  /** The lines' arrays are handed over (transferred), not copied. */
  draw(from: number, to: number, lines: ChartLine[]): void {
    this.send(
      { type: "data", id: this.id, from, to, lines },
      lines.flatMap((line) => [line.xs.buffer, line.ys.buffer]),
    );
  }

  destroy(): void {
    listeners.delete(this.id);
    this.send({ type: "destroy", id: this.id });
  }

  private send(message: ToChartWorker, transfer: Transferable[] = []): void {
    chartWorker().postMessage(message, transfer);
  }
}
