import { DurableObject } from "cloudflare:workers";
import type { BenchEnv } from "./env.ts";

/** Baseline "store the batch and answer": one row per request holding the raw body, nothing parsed. */
export class BareObject extends DurableObject<BenchEnv> {
  constructor(ctx: DurableObjectState, env: BenchEnv) {
    super(ctx, env);
    void ctx.blockConcurrencyWhile(async () => {
      ctx.storage.sql.exec(
        "CREATE TABLE IF NOT EXISTS batches (seq INTEGER PRIMARY KEY, body BLOB NOT NULL)",
      );
    });
  }

  /** Appends a raw request body; returns the rows SQLite wrote. */
  store(body: ArrayBuffer): number {
    return this.ctx.storage.sql.exec("INSERT INTO batches (body) VALUES (?)", body).rowsWritten;
  }
}
