/** histogram_quantile over classic cumulative `le` buckets, with Prometheus's edge cases. */
import { dropMetricName, labelsKey, without } from "./labels.ts";
import type { LabelSet } from "./querier.ts";
import type { Sample } from "./values.ts";

interface Bucket {
  upperBound: number;
  count: number;
}

/** Go's ParseFloat of an `le` value: decimal, exponent, ±Inf; undefined when malformed. */
function parseBound(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const lower = text.toLowerCase().replace(/^\+/, "");
  if (lower === "inf" || lower === "infinity") return Number.POSITIVE_INFINITY;
  if (lower === "-inf" || lower === "-infinity") return Number.NEGATIVE_INFINITY;
  if (lower === "nan") return Number.NaN;
  return /^-?(?:\d+\.?\d*|\.\d+)(?:e[+-]?\d+)?$/.test(lower) ? Number(lower) : undefined;
}

/** The quantile from one series' buckets; NaN without a +Inf bucket, with fewer than two, or with no observations. */
export function bucketQuantile(q: number, input: readonly Bucket[]): number {
  if (Number.isNaN(q)) return Number.NaN;
  if (q < 0) return Number.NEGATIVE_INFINITY;
  if (q > 1) return Number.POSITIVE_INFINITY;
  const sorted = [...input].sort((a, b) => a.upperBound - b.upperBound);
  if (sorted.at(-1)?.upperBound !== Number.POSITIVE_INFINITY) return Number.NaN;
  const buckets: Bucket[] = [];
  for (const b of sorted) {
    const last = buckets.at(-1);
    if (last && last.upperBound === b.upperBound) last.count += b.count;
    else buckets.push({ ...b });
  }
  // Buckets whose counts go down (scrapes of different buckets at different moments) are raised to the running max.
  let max = (buckets[0] as Bucket).count;
  for (const b of buckets) {
    if (b.count > max) max = b.count;
    else if (b.count < max) b.count = max;
  }
  if (buckets.length < 2) return Number.NaN;
  const observations = (buckets.at(-1) as Bucket).count;
  if (observations === 0) return Number.NaN;
  let rank = q * observations;
  let b = 0;
  let hi = buckets.length - 1;
  while (b < hi) {
    const mid = (b + hi) >>> 1;
    if ((buckets[mid] as Bucket).count >= rank) hi = mid;
    else b = mid + 1;
  }
  if (b === buckets.length - 1) return (buckets[buckets.length - 2] as Bucket).upperBound;
  const bucket = buckets[b] as Bucket;
  if (b === 0 && bucket.upperBound <= 0) return bucket.upperBound;
  let start = 0;
  let count = bucket.count;
  if (b > 0) {
    const previous = buckets[b - 1] as Bucket;
    start = previous.upperBound;
    count -= previous.count;
    rank -= previous.count;
  }
  return start + (bucket.upperBound - start) * (rank / count);
}

/** A bucket series' place: its bound, and its set's labels without `le` (the key keeps `__name__`, the result drops it). */
interface BucketOf {
  upperBound: number | undefined;
  key: string;
  labels: LabelSet;
}

// A series' label set is one object through every step of a query: its bound and bucket set are derived once.
const buckets = new WeakMap<LabelSet, BucketOf>();

function bucketOf(labels: LabelSet): BucketOf {
  let bucket = buckets.get(labels);
  if (!bucket) {
    const withoutLe = without(labels, ["le"]);
    bucket = {
      upperBound: parseBound(labels.le),
      key: labelsKey(withoutLe),
      labels: dropMetricName(withoutLe),
    };
    buckets.set(labels, bucket);
  }
  return bucket;
}

/** histogram_quantile(q, v): one output series per bucket set (labels without `le` and `__name__`). */
export function histogramQuantile(q: number, samples: readonly Sample[]): Sample[] {
  const sets = new Map<string, { labels: LabelSet; buckets: Bucket[] }>();
  for (const s of samples) {
    const { upperBound, key, labels } = bucketOf(s.labels);
    if (upperBound === undefined) continue;
    let set = sets.get(key);
    if (!set) {
      set = { labels, buckets: [] };
      sets.set(key, set);
    }
    set.buckets.push({ upperBound, count: s.value });
  }
  return [...sets.values()].map((set) => ({ labels: set.labels, value: bucketQuantile(q, set.buckets) }));
}
