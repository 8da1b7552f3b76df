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
