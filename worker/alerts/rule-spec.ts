import * as v from "valibot";
import { ApiError } from "../http/errors.ts";
import { validate } from "../http/schema.ts";
import { ALERT_LIMITS, type AlertRuleSpec } from "../protocol/alerts.ts";
import { parseSelector } from "../protocol/index.ts";

const finite = v.pipe(v.number(), v.finite());

/** A webhook URL: http or https, at most ALERT_LIMITS.maxWebhookLength characters. */
export const Webhook = v.pipe(
  v.string(),
  v.maxLength(ALERT_LIMITS.maxWebhookLength),
  v.url(),
  v.check((url) => /^https?:$/.test(new URL(url).protocol), "an http or https URL"),
);

/** The body of `POST …/alerts`, field by field; how fields go together is checked by `parseRuleSpec`. */
const RuleBody = v.strictObject({
  name: v.pipe(v.string(), v.trim(), v.minLength(1), v.maxLength(ALERT_LIMITS.maxNameLength)),
  series: v.pipe(
    v.string(),
    v.check((text) => !("error" in parseSelector(text)), "a series selector"),
  ),
  op: v.picklist([">", "<", ">=", "<=", "nodata"]),
  threshold: v.optional(finite),
  forMs: v.optional(v.pipe(v.number(), v.safeInteger(), v.minValue(0), v.maxValue(ALERT_LIMITS.maxForMs)), 0),
  clearThreshold: v.optional(finite),
  webhook: v.optional(Webhook),
});

/** Checks a rule an admin posted: 400 naming the field and why, or the rule as stored. */
export function parseRuleSpec(body: unknown): AlertRuleSpec {
  if (typeof body !== "object" || body === null || Array.isArray(body))
    throw new ApiError(400, "invalid_body", "the body must be a JSON object describing one rule");
  const spec = validate(RuleBody, body);
  const fail = (path: string, message: string): never => {
    throw new ApiError(400, "invalid_field", message, path);
  };
  if (spec.op === "nodata") {
    if (spec.threshold !== undefined) fail("threshold", "a nodata rule has no threshold");
    if (spec.clearThreshold !== undefined) fail("clearThreshold", "a nodata rule has no clearThreshold");
    if (spec.forMs < 1000) fail("forMs", "a nodata rule needs forMs of at least 1000 (how long is silent)");
    return spec;
  }
  if (spec.threshold === undefined) return fail("threshold", `a ${spec.op} rule needs a threshold`);
  if (spec.clearThreshold !== undefined) {
    const above = spec.op === ">" || spec.op === ">=";
    const wrongSide = above ? spec.clearThreshold > spec.threshold : spec.clearThreshold < spec.threshold;
    if (wrongSide)
      fail(
        "clearThreshold",
        `for ${spec.op} the clearThreshold must be ${above ? "at most" : "at least"} the threshold`,
      );
  }
  return spec;
}
