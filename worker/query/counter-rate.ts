/**
 * A counter's rate per second between consecutive buckets, from each bucket's last value and when it was taken:
 * null for the first bucket; a value lower than the one before is read as a reset (the counter restarted at 0, so
 * the increase is the new value itself), as Prometheus's `rate()` reads one.
 */
export function counterRates(series: {
  last: readonly number[];
  lastTs: readonly number[];
}): Array<number | null> {
  const rates: Array<number | null> = [];
  for (let i = 0; i < series.last.length; i++) {
    if (i === 0) {
      rates.push(null);
      continue;
    }
    const previous = series.last[i - 1]!;
    const value = series.last[i]!;
    const seconds = (series.lastTs[i]! - series.lastTs[i - 1]!) / 1000;
    const increase = value >= previous ? value - previous : value;
    rates.push(seconds > 0 ? increase / seconds : null);
  }
  return rates;
}
