/** Messages between time series panels (main thread) and the chart worker that draws them on OffscreenCanvases. */

/** What of a panel the worker's chart needs: its axis bounds and how values are written. */
export interface ChartPanelOptions {
  unit?: string;
  decimals?: number;
  min?: number;
  max?: number;
}

export interface ChartLine {
  xs: Float64Array;
  ys: Float64Array;
  color: string;
  hidden: boolean;
}

export type ToChartWorker =
  | { type: "create"; id: number; canvas: OffscreenCanvas; panel: ChartPanelOptions; ratio: number }
  | { type: "resize"; id: number; width: number; height: number }
  | { type: "data"; id: number; from: number; to: number; lines: ChartLine[] }
  | { type: "destroy"; id: number };

/** Where the worker drew the plot (canvas px) and the x axis' bounds: the main thread maps times to pixels by it. */
export interface PlotGeometry {
  left: number;
  right: number;
  top: number;
  bottom: number;
  xMin: number;
  xMax: number;
}

/** After a draw of new data (`data: true`) or of a new size. */
export type FromChartWorker = { type: "drawn"; id: number; data: boolean; geometry: PlotGeometry };
