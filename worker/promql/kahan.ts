/** Kahan-Babuška compensated summation, as Prometheus's kahanSumInc, so sums match its float results. */
import type { Floats } from "./values.ts";
export function kahanSumInc(inc: number, sum: number, c: number): [number, number] {
  const t = sum + inc;
  let comp = c;
  // Using Neumaier improvement, swap if next term larger than sum.
  if (Math.abs(sum) >= Math.abs(inc)) comp += sum - t + inc;
  else comp += inc - t + sum;
  return [t, comp];
}

export function kahanSum(values: Floats, from = 0, to = values.length): number {
  let sum = 0;
  let c = 0;
  for (let i = from; i < to; i++) [sum, c] = kahanSumInc(values[i] as number, sum, c);
  return Number.isFinite(sum) ? sum + c : sum;
}
