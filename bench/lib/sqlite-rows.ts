import { readdirSync } from "node:fs";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";

/** `name` in bench/wrangler.bench.toml: wrangler files objects under `<name>-<class>`. */
const SCRIPT = "edgepulse-bench";

/**
 * Rows in `tables` summed over every object of a Durable Object class, read from wrangler's `--persist-to` files.
 * For backends that do not report `rowsWritten`; reading while workerd writes is safe (SQLite WAL readers).
 */
export function countStoredRows(persistDir: string, className: string, tables: string[]): number {
  const dir = join(persistDir, "v3/do", `${SCRIPT}-${className}`);
  let files: string[];
  try {
    files = readdirSync(dir).filter((name) => name.endsWith(".sqlite") && name !== "metadata.sqlite");
  } catch {
    return 0; // No object of this class exists yet.
  }
  let rows = 0;
  for (const file of files) {
    const db = new DatabaseSync(join(dir, file), { readOnly: true });
    try {
      for (const table of tables)
        rows += Number(db.prepare(`SELECT count(*) AS n FROM ${table}`).get()?.n ?? 0);
    } finally {
      db.close();
    }
  }
  return rows;
}
