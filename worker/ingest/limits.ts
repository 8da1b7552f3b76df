/** Ingest limits; the README's "Limits" table lists the same numbers. */
export const INGEST_LIMITS = {
  /** Request body as sent. */
  maxBodyBytes: 1024 * 1024,
  /** Body after `Content-Encoding: gzip` is undone. */
  maxDecodedBytes: 8 * 1024 * 1024,
  maxPointsPerRequest: 10_000,
  maxPastMs: 7 * 24 * 60 * 60 * 1000,
  maxFutureMs: 5 * 60 * 1000,
} as const;

export const METRIC_PATTERN = /^[A-Za-z_][A-Za-z0-9_.:-]{0,127}$/;
/** Printable ASCII, as UCUM units are written (`s`, `By`, `{request}`, `%`). */
export const UNIT_PATTERN = /^[!-~]{1,32}$/;
