import type { DevicePresence } from "../protocol/index.ts";

interface DeviceState {
  lastSeen: number;
  online: boolean;
  /** Smoothed gap between the device's posts (ms); 0 until it posted twice. */
  intervalMs: number;
}

/** How presence is kept in the checkpoint row. */
export type PresenceEntry = [device: string, lastSeen: number, online: boolean, intervalMs: number];

/** A device is offline once silent for this many of its usual intervals (or the board's timeout, if longer). */
const MISSED_POSTS = 3;
/** Weight of the newest gap in the smoothed interval. */
const SMOOTHING = 0.3;

/**
 * Devices' last-seen times and online state. A device is online while it posted within its timeout: the board's
 * `timeoutMs`, or three of its usual intervals when it posts less often (an agent reporting every minute is not
 * offline between reports). Going offline is detected by the board's alarm (`expire`), never by polling.
 * Persisted in the checkpoint row; posts after the checkpoint are replayed from the log on wake.
 */
export class Presence {
  private readonly timeoutMs: number;
  private readonly devices = new Map<string, DeviceState>();
  /** Something changed since the last `entries()`. */
  changed = false;

  constructor(timeoutMs: number, entries: PresenceEntry[] = []) {
    this.timeoutMs = timeoutMs;
    for (const [device, lastSeen, online, intervalMs] of entries)
      this.devices.set(device, { lastSeen, online, intervalMs });
  }

  private deadline(state: DeviceState): number {
    return state.lastSeen + Math.max(this.timeoutMs, MISSED_POSTS * state.intervalMs);
  }

  /** Records a post; returns the device's presence when it just came online. */
  seen(device: string, at: number): DevicePresence | null {
    const state = this.devices.get(device);
    this.changed = true;
    if (!state) {
      this.devices.set(device, { lastSeen: at, online: true, intervalMs: 0 });
      return { device, online: true, lastSeen: at };
    }
    const gap = at - state.lastSeen;
    if (gap > 0) {
      state.intervalMs =
        state.intervalMs === 0 ? gap : state.intervalMs + SMOOTHING * (gap - state.intervalMs);
      state.lastSeen = at;
    }
    if (state.online) return null;
    state.online = true;
    return { device, online: true, lastSeen: state.lastSeen };
  }

  /** Marks devices silent past their timeout as offline and returns them. */
  expire(now: number): DevicePresence[] {
    const changed: DevicePresence[] = [];
    for (const [device, state] of this.devices) {
      if (state.online && now >= this.deadline(state)) {
        state.online = false;
        this.changed = true;
        changed.push({ device, online: false, lastSeen: state.lastSeen });
      }
    }
    return changed;
  }

  /** When a device times out if it posts nothing more, or null for an unknown device. */
  deadlineOf(device: string): number | null {
    const state = this.devices.get(device);
    return state ? this.deadline(state) : null;
  }

  /** When the next online device times out, or null when none is online. */
  nextDeadline(): number | null {
    let next: number | null = null;
    for (const state of this.devices.values()) {
      if (state.online) next = Math.min(next ?? Number.POSITIVE_INFINITY, this.deadline(state));
    }
    return next;
  }

  get size(): number {
    return this.devices.size;
  }

  get onlineCount(): number {
    let online = 0;
    for (const state of this.devices.values()) if (state.online) online++;
    return online;
  }

  list(): DevicePresence[] {
    return [...this.devices].map(([device, state]) => ({
      device,
      online: state.online,
      lastSeen: state.lastSeen,
    }));
  }

  /** Everything, for the checkpoint row. */
  entries(): PresenceEntry[] {
    this.changed = false;
    return [...this.devices].map(([device, state]) => [
      device,
      state.lastSeen,
      state.online,
      state.intervalMs,
    ]);
  }
}
