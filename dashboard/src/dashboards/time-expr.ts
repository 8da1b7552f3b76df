/**
 * Grafana's time points, as a dashboard's `time` and the URL's `from`/`to` write them: `now`, `now-6h`, `now/d`,
 * `now-1d/d` (rounded to the unit's start for `from`, its end for `to`, in local time), an ISO 8601 time, or epoch
 * milliseconds (what Grafana puts in a URL for an absolute range). No runtime dependencies.
 */

const UNIT_MS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };
const RELATIVE = /^now(?:([+-])(\d{1,6})([smhdwMy]))?(?:\/([smhdwMy]))?$/;

/** Moves `date` by `count` units (months and years by the calendar). */
function addUnits(date: Date, count: number, unit: string): void {
  if (unit === "M") date.setMonth(date.getMonth() + count);
  else if (unit === "y") date.setFullYear(date.getFullYear() + count);
  else date.setTime(date.getTime() + count * UNIT_MS[unit]!);
}

/** The start of the unit `date` falls in (local time). */
function startOf(date: Date, unit: string): void {
  if (unit === "s") date.setMilliseconds(0);
  else if (unit === "m") date.setSeconds(0, 0);
  else if (unit === "h") date.setMinutes(0, 0, 0);
  else {
    date.setHours(0, 0, 0, 0);
    if (unit === "w") date.setDate(date.getDate() - date.getDay());
    else if (unit === "M") date.setDate(1);
    else if (unit === "y") date.setMonth(0, 1);
  }
}

/** A time point in ms since the epoch, or null when it is none of the forms above. `end`: round up (a `to`). */
export function parseTimePoint(text: string, now: number, end = false): number | null {
  const relative = RELATIVE.exec(text);
  if (relative) {
    const [, sign, count, unit, round] = relative;
    const date = new Date(now);
    if (unit) addUnits(date, (sign === "-" ? -1 : 1) * Number(count), unit);
    if (round) {
      startOf(date, round);
      if (end) {
        addUnits(date, 1, round);
        date.setTime(date.getTime() - 1);
      }
    }
    return date.getTime();
  }
  if (/^\d{10,15}$/.test(text)) return Number(text);
  const parsed = Date.parse(text);
  return Number.isNaN(parsed) ? null : parsed;
}

/** A dashboard's range as written (`now-1h` … `now`). */
export interface RangeText {
  from: string;
  to: string;
}

export interface AbsoluteRange {
  from: number;
  to: number;
}

/** The range in ms at `now`; an unreadable or empty range falls back to the last hour. */
export function resolveRange(range: RangeText, now: number): AbsoluteRange {
  const from = parseTimePoint(range.from, now);
  const to = parseTimePoint(range.to, now, true);
  if (from === null || to === null || from >= to) return { from: now - 3_600_000, to: now };
  return { from, to };
}

/** Whether the range moves with the clock (its end is `now`-relative). */
export const followsNow = (range: RangeText): boolean => range.to.startsWith("now");

/** An absolute range as the URL writes it (epoch ms). */
export const absoluteText = ({ from, to }: AbsoluteRange): RangeText => ({
  from: String(Math.round(from)),
  to: String(Math.round(to)),
});

/** The range `factor` times as long around the same middle (Grafana's zoom out is ×2). */
export function zoomOut({ from, to }: AbsoluteRange, factor = 2): AbsoluteRange {
  const middle = (from + to) / 2;
  const half = ((to - from) * factor) / 2;
  return { from: middle - half, to: middle + half };
}

/** The range moved by `fraction` of its length (negative: earlier). */
export function shiftRange({ from, to }: AbsoluteRange, fraction: number): AbsoluteRange {
  const by = (to - from) * fraction;
  return { from: from + by, to: to + by };
}

/** The relative ranges the time picker offers, as Grafana lists them. */
export const RELATIVE_RANGES: ReadonlyArray<{ from: string; label: string }> = [
  { from: "now-5m", label: "Last 5 minutes" },
  { from: "now-15m", label: "Last 15 minutes" },
  { from: "now-1h", label: "Last 1 hour" },
  { from: "now-6h", label: "Last 6 hours" },
  { from: "now-24h", label: "Last 24 hours" },
  { from: "now-7d", label: "Last 7 days" },
  { from: "now-30d", label: "Last 30 days" },
  { from: "now/d", label: "Today so far" },
];

/** How a range reads in the picker's button: its label when it is one of the list, else `from to to`. */
export function describeRange(range: RangeText, now: number): string {
  const known = RELATIVE_RANGES.find((choice) => choice.from === range.from && range.to === "now");
  if (known) return known.label;
  const { from, to } = resolveRange(range, now);
  const show = (text: string, ms: number) =>
    text.startsWith("now") ? text : new Date(ms).toLocaleString(undefined, { hour12: false });
  return `${show(range.from, from)} to ${show(range.to, to)}`;
}

/** The refresh intervals offered, Grafana's default list; "" is off. */
export const REFRESH_CHOICES = ["", "5s", "10s", "30s", "1m", "5m", "15m", "30m", "1h"] as const;

/** A refresh interval (`30s`, `1m`, `1h`) in ms, or null for off or unreadable. */
export function refreshMs(text: string): number | null {
  const match = /^(\d{1,6})([smhd])$/.exec(text);
  return match ? Number(match[1]) * UNIT_MS[match[2]!]! : null;
}
