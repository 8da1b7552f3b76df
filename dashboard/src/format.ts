const valueFormat = new Intl.NumberFormat(undefined, { maximumFractionDigits: 2 });
const axisFormat = new Intl.NumberFormat(undefined, { notation: "compact", maximumFractionDigits: 1 });

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

function twoDigits(n: number): string {
  return String(n).padStart(2, "0");
}

/** `14:03:09`, local time, for axis ticks and "last updated". */
export function formatClock(ms: number): string {
  const date = new Date(ms);
  return `${twoDigits(date.getHours())}:${twoDigits(date.getMinutes())}:${twoDigits(date.getSeconds())}`;
}

/** A point's exact time with its date, for tooltips: `25 Nov 14:03:09.250`. */
export function formatTimestamp(ms: number): string {
  const date = new Date(ms);
  const millis = String(date.getMilliseconds()).padStart(3, "0");
  return `${date.getDate()} ${MONTHS[date.getMonth()]} ${formatClock(ms)}.${millis}`;
}

/** UCUM units as people write them; others are shown as given. */
const UNIT_SYMBOLS: Record<string, string> = { Cel: "°C", "[degF]": "°F", By: "B", "1": "" };

/** A unit after a value: ` °C`, `%`, ` B`; nothing for none. */
export function formatUnit(unit: string | undefined): string {
  const symbol = unit === undefined ? "" : (UNIT_SYMBOLS[unit] ?? unit);
  if (symbol === "") return "";
  return symbol === "%" ? symbol : ` ${symbol}`;
}

/** The unit a series' line is drawn in: its unit's symbol, per second for a counter (drawn as its rate). */
export function lineUnit(series: { unit?: string; kind?: string }): string {
  return `${formatUnit(series.unit).trim()}${series.kind === "counter" ? "/s" : ""}`;
}

/** A reading as shown big on its card: grouped digits, at most two decimals; NaN, +Inf and −Inf by name. */
export function formatValue(value: number): string {
  if (Number.isNaN(value)) return "NaN";
  if (!Number.isFinite(value)) return value > 0 ? "+Inf" : "−Inf";
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

/** How long ago, coarsely and ticking: `just now`, `12 s ago`, `4 min ago`, `3 h ago`, `2 d ago`. */
export function formatAgo(ms: number): string {
  const seconds = Math.max(0, Math.floor(ms / 1000));
  if (seconds < 2) return "just now";
  if (seconds < 60) return `${seconds} s ago`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min ago`;
  if (seconds < 86_400) return `${Math.floor(seconds / 3600)} h ago`;
  return `${Math.floor(seconds / 86_400)} d ago`;
}

/** A time-axis tick for an axis `spanMs` wide: dates once it spans most of a day, seconds only over minutes. */
export function formatTick(ms: number, spanMs: number): string {
  const date = new Date(ms);
  const clock = `${twoDigits(date.getHours())}:${twoDigits(date.getMinutes())}`;
  if (spanMs > 20 * 3_600_000) return `${date.getDate()} ${MONTHS[date.getMonth()]} ${clock}`;
  if (spanMs > 15 * 60_000) return clock;
  return formatClock(ms);
}
