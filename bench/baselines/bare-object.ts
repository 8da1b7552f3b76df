import { DurableObject } from "cloudflare:workers";
import { BaselineMeter, type BaselineStats } from "./baseline-stats.ts";
import type { BenchEnv } from "./env.ts";

/** Baseline "store the batch and answer": one row per request holding the raw body, nothing parsed. */
export class BareObject extends DurableObject<BenchEnv> {
  private readonly meter = new BaselineMeter();

  constructor(ctx: DurableObjectState, env: BenchEnv) {
    super(ctx, env);
    void ctx.blockConcurrencyWhile(async () => {
      ctx.storage.sql.exec(
        "CREATE TABLE IF NOT EXISTS batches (seq INTEGER PRIMARY KEY, body BLOB NOT NULL)",
      );
    });
  }

  /** Appends a raw request body of `points` points. */
  store(body: ArrayBuffer, points: number): void {
    this.meter.add(this.ctx.storage.sql.exec("INSERT INTO batches (body) VALUES (?)", body));
    this.meter.request(points);
  }

  stats(): BaselineStats {
    return this.meter.stats;
  }
}
