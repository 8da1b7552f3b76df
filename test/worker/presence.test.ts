import { describe, expect, it } from "vitest";
import { Presence } from "../../worker/shard/presence.ts";

const TIMEOUT = 30_000;

describe("presence", () => {
  it("takes a device that posts every second offline after the board's timeout", () => {
    const presence = new Presence(TIMEOUT);
    for (let t = 0; t <= 10_000; t += 1000) presence.seen("fast", t);
    expect(presence.expire(10_000 + TIMEOUT - 1)).toEqual([]);
    expect(presence.expire(10_000 + TIMEOUT)).toEqual([{ device: "fast", online: false, lastSeen: 10_000 }]);
  });

  it("keeps a device that posts every minute online between posts, and offline after three missed posts", () => {
    const presence = new Presence(TIMEOUT);
    // Until a second post shows its interval, a new device gets the board's timeout.
    presence.seen("agent", 0);
    for (let t = 60_000; t <= 600_000; t += 60_000) {
      presence.seen("agent", t);
      expect(presence.expire(t + 59_000)).toEqual([]);
    }
    expect(presence.nextDeadline()).toBe(600_000 + 3 * 60_000);
    expect(presence.expire(600_000 + 3 * 60_000)).toHaveLength(1);
  });

  it("reports a device coming back online once, and keeps its state through the checkpoint row", () => {
    const presence = new Presence(TIMEOUT);
    expect(presence.seen("d", 0)).toEqual({ device: "d", online: true, lastSeen: 0 });
    presence.expire(TIMEOUT);
    expect(presence.seen("d", 40_000)).toEqual({ device: "d", online: true, lastSeen: 40_000 });
    expect(presence.seen("d", 41_000)).toBeNull();
    const restored = new Presence(TIMEOUT, presence.entries());
    expect(restored.list()).toEqual(presence.list());
    expect(restored.nextDeadline()).toBe(presence.nextDeadline());
  });
});
