import { DEVICE_PATTERN } from "../auth/tokens.ts";
import { checkLabels, checkMetric, type PointColumns, PointsBuilder } from "../ingest/points.ts";
import type { RecordedSamples } from "./evaluate-group.ts";

/** The device of recorded series that have no `instance` a device id can spell (aggregations drop it). */
export const RULES_DEVICE = "rules";
/** Who writes recorded series, for the shards' revocation check. */
export const RULES_PRINCIPAL = "rules:board";

/**
 * A recording rule's samples as points of the board: `instance` names the device when it can (and so comes back
 * as the same label), else the series belong to the `rules` device with no `instance` label (an empty label is no
 * label). NaN and ±Inf are stored as any other value, as Prometheus records them.
 */
export function recordedPoints({ ts, samples }: RecordedSamples): PointColumns | null {
  const builder = new PointsBuilder();
  for (const { labels: all, value } of samples) {
    const { __name__: name = "", instance, ...labels } = all;
    const device = instance !== undefined && DEVICE_PATTERN.test(instance) ? instance : RULES_DEVICE;
    if (device === RULES_DEVICE) labels.instance = instance ?? "";
    const index = builder.seriesOf({ device, metric: checkMetric(name), labels: checkLabels(labels) });
    builder.push(index, ts, value);
  }
  return builder.size > 0 ? builder.build() : null;
}
