/** Limits of the Prometheus API on a board; the README's "Limits" table lists the same numbers. */
export const PROMQL_LIMITS = {
  /**
   * Samples one query may load from its shards and hold at once (Prometheus: --query.max-samples, 50 M). A sample
   * is 16 bytes in the Worker and again in transit; an isolate has 128 MB.
   */
  maxSamples: 3_000_000,
  /** Series one selector may match on the board. */
  maxSeriesPerSelector: 20_000,
  /** Wall time for one query, ms (Prometheus: --query.timeout, 2 min); a `timeout` parameter may ask less. */
  timeoutMs: 30_000,
  /** Points per series of a range query: (end - start) / step (Prometheus: 11,000). */
  maxSteps: 11_000,
  /** Characters of query text. */
  maxExpressionLength: 16_384,
  /** Entries a series, labels or label values answer holds (Prometheus: unlimited; `limit=` asks fewer). */
  maxCatalogEntries: 50_000,
  /** Request body of a POST (form-encoded parameters), bytes. */
  maxBodyBytes: 256 * 1024,
} as const;
