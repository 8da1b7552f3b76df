import { HTTPException } from "hono/http-exception";

/** One point as the naive baselines receive it. */
export interface NaivePoint {
  metric: string;
  value: number;
  ts: number;
}

/** A point with its device: one naive-hub message, one entry of a naive-store poll. */
export interface NaiveRow extends NaivePoint {
  device: string;
}

/** Points after a cursor; `next` is the cursor for the following poll. */
export interface NaivePage {
  next: number;
  points: NaiveRow[];
}

/** A poll returns at most this many points; a full page means more are waiting. */
export const NAIVE_PAGE_POINTS = 50_000;

function isPoint(raw: unknown): raw is NaivePoint {
  const point = raw as Partial<NaivePoint> | null;
  return (
    typeof point === "object" &&
    point !== null &&
    typeof point.metric === "string" &&
    typeof point.value === "number" &&
    typeof point.ts === "number"
  );
}

/** Minimal validation of `{"points":[{metric,value,ts}]}`: shapes only, no limits; 400 otherwise. */
export function parseNaivePoints(body: unknown): NaivePoint[] {
  const points = (body as { points?: unknown } | null)?.points;
  if (!Array.isArray(points)) throw new HTTPException(400, { message: "points must be an array" });
  return points.map((raw, i) => {
    if (!isPoint(raw)) throw new HTTPException(400, { message: `points[${i}] needs metric, value and ts` });
    return { metric: raw.metric, value: raw.value, ts: raw.ts };
  });
}
