/** A counter's reading: its value and when it was taken (ms). */
export interface CounterReading {
  value: number;
  ts: number;
}

/**
 * A counter's increase per second from one reading to the next; a value lower than the one before is read as a
 * reset (the counter restarted at 0, so the increase is the new value itself), as Prometheus's `rate()` reads one.
 * Null when no time passed.
 */
export function rateBetween(previous: CounterReading, next: CounterReading): number | null {
  const seconds = (next.ts - previous.ts) / 1000;
  const increase = next.value >= previous.value ? next.value - previous.value : next.value;
  return seconds > 0 ? increase / seconds : null;
}

/**
 * A counter's rate per second between consecutive buckets, from each bucket's last value and when it was taken:
 * null for the first bucket (see `rateBetween`).
 */
export function counterRates(series: {
  last: readonly number[];
  lastTs: readonly number[];
}): Array<number | null> {
  const rates: Array<number | null> = [];
  for (let i = 0; i < series.last.length; i++) {
    rates.push(
      i === 0
        ? null
        : rateBetween(
            { value: series.last[i - 1]!, ts: series.lastTs[i - 1]! },
            { value: series.last[i]!, ts: series.lastTs[i]! },
          ),
    );
  }
  return rates;
}
