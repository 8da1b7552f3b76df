/** The samples written both to Prometheus and to the engine's in-memory Querier: every kind of value it must handle. */
import { seededRandom } from "../../seeded-random.ts";
import type { StoredSeries } from "./memory-querier.ts";

/** A whole minute, so subquery steps and minutes line up as they would in real use. */
export const T0 = 1_699_999_980_000;
export const INTERVAL = 15_000;
export const POINTS = 201; // 50 minutes

type Sample = StoredSeries["samples"][number];

const times = (from = 0, to = POINTS) =>
  Array.from({ length: to - from }, (_, i) => T0 + (from + i) * INTERVAL);

function counter(random: () => number, resetAt?: number): Sample[] {
  let v = random() * 100;
  return times().map((t, i) => {
    v = i === resetAt ? random() * 3 : v + Math.floor(random() * 10) + (random() < 0.3 ? random() : 0);
    return { t, v };
  });
}

function gauge(random: () => number, scale: number): Sample[] {
  let v = (random() - 0.5) * scale;
  return times().map((t) => {
    v += (random() - 0.5) * scale * 0.1;
    return { t, v };
  });
}

const special = (f: (i: number) => number): Sample[] => times().map((t, i) => ({ t, v: f(i) }));

/** Samples from..to-1, then a staleness marker right after. */
function untilStale(from: number, to: number, value: (i: number) => number): Sample[] {
  return [
    ...times(from, to).map((t, i) => ({ t, v: value(i) })),
    { t: T0 + to * INTERVAL, v: Number.NaN, stale: true },
  ];
}

export function oracleSeries(seed = 19): StoredSeries[] {
  const random = seededRandom(seed);
  const series: StoredSeries[] = [];
  for (const job of ["api", "web"])
    for (const instance of ["a", "b"])
      for (const code of ["200", "500"])
        series.push({
          labels: { __name__: "http_requests_total", job, instance, code },
          samples: counter(random, job === "api" && instance === "b" ? 80 : code === "500" ? 150 : undefined),
        });
  for (const room of ["x", "y", "z"])
    series.push({ labels: { __name__: "node_temp", room }, samples: gauge(random, 40) });
  for (const job of ["api", "web", "broken"]) {
    const bounds = job === "broken" ? ["0.1", "1"] : ["0.05", "0.1", "0.5", "1", "+Inf"];
    const counts = bounds.map(() => 0);
    const bucketSamples: Sample[][] = bounds.map(() => []);
    for (const t of times()) {
      let running = 0;
      bounds.forEach((_, b) => {
        running += Math.floor(random() * (b === 0 ? 2 : 5));
        counts[b] = (counts[b] as number) + running;
        bucketSamples[b]?.push({ t, v: counts[b] as number });
      });
    }
    for (const [b, le] of bounds.entries())
      series.push({ labels: { __name__: "req_dur_bucket", job, le }, samples: bucketSamples[b] as Sample[] });
  }
  series.push(
    { labels: { __name__: "special", kind: "nan" }, samples: special((i) => (i % 7 === 3 ? Number.NaN : i)) },
    {
      labels: { __name__: "special", kind: "inf" },
      samples: special((i) => (i % 5 === 0 ? Number.POSITIVE_INFINITY : i)),
    },
    {
      labels: { __name__: "special", kind: "neginf" },
      samples: special((i) => (i % 9 === 0 ? Number.NEGATIVE_INFINITY : -i)),
    },
    {
      labels: { __name__: "special", kind: "huge" },
      samples: special((i) => 1.7976931348623157e308 - i * 1e292),
    },
    { labels: { __name__: "special", kind: "tiny" }, samples: special((i) => 5e-324 * (i + 1)) },
    { labels: { __name__: "special", kind: "zero" }, samples: special((i) => (i % 2 ? 0 : -0)) },
    {
      labels: { __name__: "flappy", instance: "x" },
      samples: [...untilStale(0, 40, (i) => i), ...untilStale(80, 120, (i) => i * 2)],
    },
    { labels: { __name__: "flappy", instance: "y" }, samples: untilStale(100, 200, (i) => 100 - i) },
    { labels: { __name__: "flappy", instance: "z" }, samples: times(0, 60).map((t, i) => ({ t, v: i })) },
    { labels: { __name__: "system.cpu.utilization", host: "a" }, samples: gauge(random, 1) },
    { labels: { __name__: "dup_a", l: "1" }, samples: special((i) => i) },
    { labels: { __name__: "dup_b", l: "1" }, samples: special((i) => i * 2) },
    { labels: { __name__: "node_info", instance: "a", version: "1.2" }, samples: special(() => 1) },
    { labels: { __name__: "node_info", instance: "b", version: "1.3" }, samples: special(() => 1) },
  );
  return series;
}
