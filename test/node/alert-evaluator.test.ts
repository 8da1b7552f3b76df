import { createHmac } from "node:crypto";
import { describe, expect, it } from "vitest";
import { AlertEvaluator } from "../../worker/alerts/evaluator.ts";
import { retryDelay, signWebhook } from "../../worker/alerts/webhooks.ts";
import type { AlertRule } from "../../worker/protocol/index.ts";

const series = new Map([
  [1, { id: 1, device: "a", metric: "temp" }],
  [2, { id: 2, device: "b", metric: "temp" }],
  [3, { id: 3, device: "a", metric: "load" }],
]);
const rule = (spec: Partial<AlertRule>): AlertRule => ({
  id: "r1",
  name: "r",
  series: "*:temp",
  op: ">",
  threshold: 10,
  forMs: 0,
  createdAt: 0,
  ...spec,
});
const states = (evaluator: AlertEvaluator) =>
  evaluator.take().map((t) => [t.seriesId, t.state, t.from, t.at]);

describe("alert evaluation", () => {
  it("evaluates each matching series on its own and ignores the others", () => {
    const evaluator = new AlertEvaluator((id) => series.get(id));
    evaluator.setRules([rule({})], [], 0);
    evaluator.observe(1, 100, 11, 100);
    evaluator.observe(2, 100, 5, 100);
    evaluator.observe(3, 100, 50, 100);
    evaluator.observe(1, 200, 12, 200);
    expect(states(evaluator)).toEqual([[1, "firing", "ok", 100]]);
  });

  it("fires a nodata alert once at the series' deadline, arms the next one, and resolves at the next point", () => {
    const evaluator = new AlertEvaluator((id) => series.get(id));
    evaluator.setRules(
      [rule({ op: "nodata", threshold: undefined, forMs: 1000 })],
      [
        { id: 1, lastAt: 0 },
        { id: 2, lastAt: 500 },
        { id: 3, lastAt: 0 },
      ],
      0,
    );
    expect(evaluator.nextDeadline()).toBe(1000);
    evaluator.expire(999);
    expect(states(evaluator)).toEqual([]);
    evaluator.expire(1000);
    expect(states(evaluator)).toEqual([[1, "firing", "ok", 1000]]);
    expect(evaluator.nextDeadline()).toBe(1500);
    evaluator.expire(5000);
    expect(states(evaluator)).toEqual([[2, "firing", "ok", 1500]]);
    expect(evaluator.nextDeadline()).toBeNull();
    evaluator.observe(1, 6000, 1, 6000);
    expect(states(evaluator)).toEqual([[1, "resolved", "firing", 6000]]);
    expect(evaluator.nextDeadline()).toBe(7000);
  });

  it("resolves the alerts of a deleted rule, and restores held alerts without firing them again", () => {
    const held = [{ rule: "r1", seriesId: 1, state: "firing" as const, since: 5, value: 20 }];
    const evaluator = new AlertEvaluator((id) => series.get(id), held);
    evaluator.setRules([rule({})], [], 0);
    evaluator.observe(1, 10, 30, 10);
    expect(states(evaluator)).toEqual([]);
    evaluator.setRules([], [], 50);
    expect(states(evaluator)).toEqual([[1, "resolved", "firing", 50]]);
    expect(evaluator.instances()).toEqual([]);
  });
});

describe("alert webhooks", () => {
  it("sign `<t>.<body>` with HMAC-SHA256, as a receiver recomputes it", async () => {
    const header = await signWebhook("whsec_test", 1_700_000_000, '{"a":1}');
    const expected = createHmac("sha256", "whsec_test").update('1700000000.{"a":1}').digest("hex");
    expect(header).toBe(`t=1700000000,v1=${expected}`);
  });

  it("back off from 2.5-5 s, doubling, to at most 30 min", () => {
    expect(retryDelay(1, 0)).toBe(2_500);
    expect(retryDelay(1, 1)).toBe(5_000);
    expect(retryDelay(3, 1)).toBe(20_000);
    expect(retryDelay(20, 1)).toBe(30 * 60_000);
    expect(retryDelay(20, 0)).toBe(15 * 60_000);
  });
});
