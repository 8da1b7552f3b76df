/** Prometheus's model.Duration text (`1h30m`, `90s`, `0`), as rule files write `interval`, `for`, `keep_firing_for`. */
const DURATION = /^(?:(\d+)y)?(?:(\d+)w)?(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?(?:(\d+)ms)?$/;
const UNIT_MS = [365 * 86_400_000, 7 * 86_400_000, 86_400_000, 3_600_000, 60_000, 1000, 1];

/** Milliseconds of a duration, or null when it is not one. */
export function parseModelDuration(text: string): number | null {
  if (text === "0") return 0;
  const match = text === "" ? null : DURATION.exec(text);
  if (!match) return null;
  const ms = UNIT_MS.reduce((sum, unit, i) => sum + Number(match[i + 1] ?? 0) * unit, 0);
  return Number.isSafeInteger(ms) ? ms : null;
}
