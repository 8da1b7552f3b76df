const valueFormat = new Intl.NumberFormat(undefined, { maximumFractionDigits: 2 });
const axisFormat = new Intl.NumberFormat(undefined, { notation: "compact", maximumFractionDigits: 1 });

function twoDigits(n: number): string {
  return String(n).padStart(2, "0");
}

/** `14:03:09`, local time, for axis ticks and "last updated". */
export function formatClock(ms: number): string {
  const date = new Date(ms);
  return `${twoDigits(date.getHours())}:${twoDigits(date.getMinutes())}:${twoDigits(date.getSeconds())}`;
}

/** A reading as shown big on its card: grouped digits, at most two decimals. */
export function formatValue(value: number): string {
  return valueFormat.format(value);
}

/** A y-axis tick: short, `12.3K` rather than `12,345`. */
export function formatAxisValue(value: number): string {
  return axisFormat.format(value);
}

/** A bucket width: `500 ms`, `6 s`, `2 min`, `1 h`. */
export function formatDuration(ms: number): string {
  if (ms < 1_000) return `${ms} ms`;
  if (ms < 60_000) return `${ms / 1_000} s`;
  if (ms < 3_600_000) return `${ms / 60_000} min`;
  return `${ms / 3_600_000} h`;
}
