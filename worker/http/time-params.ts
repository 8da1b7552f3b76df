import { ApiError } from "./errors.ts";

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const DURATION = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/;
/**
 * RFC 3339 date-time: `2026-12-03T10:00:00Z`, `2026-12-03T11:00:00.250+01:00` (`t`, `z` or a space allowed). A space
 * before the offset is a `+` that a query string decoded (`+` means space there, unless written `%2B`).
 */
const RFC_3339 =
  /^(?<year>\d{4})-(?<month>\d{2})-(?<day>\d{2})[Tt ](?<hour>\d{2}):(?<minute>\d{2}):(?<second>\d{2})(?:\.(?<fraction>\d{1,9}))?(?:[Zz]|(?<sign>[+ -])(?<offsetHour>\d{2}):(?<offsetMinute>\d{2}))$/;
/** Durations (steps, relative times) up to 400 days; times up to the year 275760, JavaScript's last date. */
const MAX_DURATION_MS = 400 * 86_400_000;
const MAX_TIME_MS = 8.64e15;

/** `1500`, `30s`, `5m`, `1h`, `7d` → ms. */
export function parseDuration(raw: string, path: string): number {
  const match = DURATION.exec(raw);
  const ms = match ? Number(match[1]) * UNIT_MS[match[2]!]! : /^\d+$/.test(raw) ? Number(raw) : Number.NaN;
  if (!Number.isFinite(ms) || ms <= 0) {
    throw new ApiError(
      400,
      "invalid_duration",
      `${path} must be milliseconds or a duration like 30s, 5m, 1h, 7d`,
      path,
    );
  }
  const rounded = Math.round(ms);
  if (rounded < 1 || rounded > MAX_DURATION_MS)
    throw new ApiError(400, "invalid_duration", `${path} must be between 1 ms and 400 days`, path);
  return rounded;
}

/** An RFC 3339 date-time in ms since the epoch (digits past ms cut off), or null if it is not a real one. */
export function parseRfc3339(raw: string): number | null {
  const fields = RFC_3339.exec(raw)?.groups;
  if (!fields) return null;
  const field = (name: string) => Number(fields[name] ?? 0);
  const [year, month, day] = [field("year"), field("month"), field("day")];
  const [hour, minute, second] = [field("hour"), field("minute"), field("second")];
  const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate();
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth || hour > 23 || minute > 59 || second > 59)
    return null;
  if (field("offsetHour") > 23 || field("offsetMinute") > 59) return null;
  const offsetMinutes = (fields.sign === "-" ? -1 : 1) * (field("offsetHour") * 60 + field("offsetMinute"));
  const fractionMs = Number((fields.fraction ?? "").padEnd(3, "0").slice(0, 3));
  return Date.UTC(year, month - 1, day, hour, minute, second) + fractionMs - offsetMinutes * 60_000;
}

/**
 * A point in time as every endpoint takes it: `now`, relative to now like `-10m`, ms since the Unix epoch, or an
 * RFC 3339 date-time; 400 `invalid_time` (or `invalid_duration` for a bad relative one) naming `path`.
 */
export function parseTime(raw: string, now: number, path: string): number {
  if (raw === "now") return now;
  if (raw.startsWith("-")) return now - parseDuration(raw.slice(1), path);
  const ms = /^\d{1,16}$/.test(raw) ? Number(raw) : parseRfc3339(raw);
  if (ms !== null && ms >= 0 && ms <= MAX_TIME_MS) return ms;
  throw new ApiError(
    400,
    "invalid_time",
    `${path} must be "now", relative like -10m, ms since the Unix epoch, or RFC 3339 like 2026-12-03T10:00:00Z`,
    path,
  );
}
