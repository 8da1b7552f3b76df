/** Go's math functions where JavaScript's give a different float (log2 and log10 of exact powers, say). */

/** Go's math.Frexp: x = frac × 2^exp with frac in [0.5, 1). */
function frexp(x: number): [number, number] {
  if (x === 0 || !Number.isFinite(x)) return [x, 0];
  let exp = Math.max(-1073, Math.floor(Math.log2(Math.abs(x))) + 1);
  let frac = x * 2 ** -exp;
  while (Math.abs(frac) < 0.5) {
    frac *= 2;
    exp--;
  }
  while (Math.abs(frac) >= 1) {
    frac /= 2;
    exp++;
  }
  return [frac, exp];
}

export function goLog2(x: number): number {
  const [frac, exp] = frexp(x);
  // Exact powers of two give exact integers, as in Go.
  if (frac === 0.5) return exp - 1;
  return Math.log(frac) * (1 / Math.LN2) + exp;
}

export const goLog10 = (x: number): number => Math.log(x) * (1 / Math.LN10);

/** Go's int64(f) for a time in seconds, then the UTC date of it. */
export function utcDate(seconds: number): Date {
  return new Date(Math.trunc(seconds) * 1000);
}
