import type { DevicePresence } from "../protocol/index.ts";

interface DeviceState {
  lastSeen: number;
  online: boolean;
}

/**
 * Devices' last-seen times and online state. A device is online while it posted within `timeoutMs`; going offline
 * is detected by the board's alarm (`expire`), never by polling. Written to SQLite at checkpoints.
 */
export class Presence {
  private readonly sql: SqlStorage;
  private readonly timeoutMs: number;
  private readonly devices = new Map<string, DeviceState>();
  private readonly dirty = new Set<string>();

  constructor(sql: SqlStorage, timeoutMs: number) {
    this.sql = sql;
    this.timeoutMs = timeoutMs;
    for (const row of sql.exec<{ device: string; last_seen: number; online: number }>(
      "SELECT device, last_seen, online FROM devices",
    )) {
      this.devices.set(row.device, { lastSeen: row.last_seen, online: row.online === 1 });
    }
  }

  /** Records a post; returns the device's presence when it just came online. */
  seen(device: string, at: number): DevicePresence | null {
    const state = this.devices.get(device);
    this.dirty.add(device);
    if (!state) {
      this.devices.set(device, { lastSeen: at, online: true });
      return { device, online: true, lastSeen: at };
    }
    state.lastSeen = Math.max(state.lastSeen, at);
    if (state.online) return null;
    state.online = true;
    return { device, online: true, lastSeen: state.lastSeen };
  }

  /** Marks devices silent for longer than the timeout as offline and returns them. */
  expire(now: number): DevicePresence[] {
    const changed: DevicePresence[] = [];
    for (const [device, state] of this.devices) {
      if (state.online && now - state.lastSeen >= this.timeoutMs) {
        state.online = false;
        this.dirty.add(device);
        changed.push({ device, online: false, lastSeen: state.lastSeen });
      }
    }
    return changed;
  }

  /** When the next online device times out, or null when none is online. */
  nextDeadline(): number | null {
    let next: number | null = null;
    for (const state of this.devices.values()) {
      if (state.online) next = Math.min(next ?? Number.POSITIVE_INFINITY, state.lastSeen + this.timeoutMs);
    }
    return next;
  }

  /** Whether anything awaits the next checkpoint. */
  get changed(): boolean {
    return this.dirty.size > 0;
  }

  list(): DevicePresence[] {
    return [...this.devices].map(([device, state]) => ({
      device,
      online: state.online,
      lastSeen: state.lastSeen,
    }));
  }

  /** Writes changed devices; call inside the checkpoint transaction. */
  checkpoint(): void {
    for (const device of this.dirty) {
      const state = this.devices.get(device)!;
      this.sql.exec(
        "INSERT INTO devices (device, last_seen, online) VALUES (?, ?, ?) ON CONFLICT (device) DO UPDATE SET last_seen = excluded.last_seen, online = excluded.online",
        device,
        state.lastSeen,
        state.online ? 1 : 0,
      );
    }
    this.dirty.clear();
  }
}
