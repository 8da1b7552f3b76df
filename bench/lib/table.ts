/** Formats a number with thousands separators and `digits` decimals; `-` for NaN. */
export function num(value: number, digits = 0): string {
  if (!Number.isFinite(value)) return "-";
  return value.toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

/** `a / b` as `0.85x`; `-` when either side is missing. */
export function ratio(a: number, b: number, digits = 2): string {
  return Number.isFinite(a) && Number.isFinite(b) && b !== 0 ? `${num(a / b, digits)}x` : "-";
}

/** A target's verdict for the tables. */
export function verdict(met: boolean): string {
  return met ? "MET" : "MISSED";
}

/**
 * Prints a plain-text table: first column left-aligned, the rest right-aligned, notes underneath.
 * @example printTable("Ingest", ["target", "pts/s"], [["real", "210,000"]], ["pts/s: accepted points per second"]);
 */
export function printTable(title: string, headers: string[], rows: string[][], notes: string[] = []): void {
  const widths = headers.map((header, col) =>
    Math.max(header.length, ...rows.map((row) => row[col]?.length ?? 0)),
  );
  const line = (cells: string[]) =>
    cells
      .map((cell, col) => (col === 0 ? cell.padEnd(widths[col]!) : cell.padStart(widths[col]!)))
      .join("  ");
  const rule = "-".repeat(widths.reduce((sum, width) => sum + width + 2, -2));
  console.log(`\n${title}\n${rule}\n${line(headers)}\n${rule}`);
  for (const row of rows) console.log(line(row));
  console.log(rule);
  for (const note of notes) console.log(`  ${note}`);
}
