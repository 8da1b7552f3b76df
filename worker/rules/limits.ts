/** What a board's rule file may hold, and how its groups are evaluated. */
export const RULE_LIMITS = {
  /** The rule file's body (YAML or JSON). */
  maxBodyBytes: 64 * 1024,
  maxGroups: 20,
  /** Rules over all groups. */
  maxRules: 100,
  /** Prometheus's `evaluation_interval` default, for a group without `interval`. */
  defaultIntervalMs: 60_000,
  /** The shortest group interval: each evaluation wakes the hub and asks every shard. */
  minIntervalMs: 10_000,
  /** Series one alerting rule may alert on (one alert each) or a recording rule may write. */
  maxSeriesPerRule: 1000,
  /** How long a resolved alert is kept (and re-sent as resolved), as Prometheus's `resolvedRetention`. */
  resolvedRetentionMs: 15 * 60_000,
  /** Prometheus's `--rules.alert.resend-delay` default: firing alerts are re-sent this often. */
  resendDelayMs: 60_000,
  /** Alert transitions the hub keeps for the dashboard's history (the newest). */
  maxKeptTransitions: 10_000,
} as const;
