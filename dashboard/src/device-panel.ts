import type { DevicePresence } from "../../worker/protocol/index.ts";
import { child } from "./dom.ts";
import { formatAgo } from "./format.ts";

/** What the panel knows of a device: presence from the board, and how many points it sent in the last minute. */
interface DeviceRow {
  presence: DevicePresence;
  element: HTMLElement;
  state: HTMLElement;
  seen: HTMLElement;
  rate: HTMLElement;
  /** Arrival times (ms) of point counts, for points per minute. */
  recent: Array<[at: number, points: number]>;
}

const MINUTE_MS = 60_000;

/**
 * The board's devices: online or offline (as the board decides: a device is offline once it missed its usual
 * interval several times), last seen ("12 s ago", ticking), points per minute, a search box, and the viewer count.
 * Tells `onPresence` when a device goes offline or comes back, so its charts can be marked.
 */
export class DevicePanel {
  private readonly list: HTMLElement;
  private readonly summary: HTMLElement;
  private readonly rows = new Map<string, DeviceRow>();
  private readonly onPresence: (device: string, online: boolean) => void;
  private viewers = 0;
  private filter = "";

  constructor(
    container: HTMLElement,
    search: HTMLInputElement,
    onPresence: (device: string, online: boolean) => void,
  ) {
    this.list = container.querySelector(".devices-list") ?? container;
    this.summary = container.querySelector(".devices-summary") ?? container;
    this.onPresence = onPresence;
    search.addEventListener("input", () => {
      this.filter = search.value.trim().toLowerCase();
      for (const [device, row] of this.rows) row.element.hidden = !device.toLowerCase().includes(this.filter);
    });
    setInterval(() => this.tick(), 1000);
  }

  /** A presence message: the devices it names (all of them on connect, changes after) and the viewer count. */
  update(devices: readonly DevicePresence[], viewers: number): void {
    this.viewers = viewers;
    for (const presence of devices) {
      const row = this.rows.get(presence.device) ?? this.add(presence);
      const was = row.presence.online;
      row.presence = presence;
      if (was !== presence.online || row.element.dataset.online === undefined) {
        row.element.dataset.online = String(presence.online);
        row.state.textContent = presence.online ? "online" : "offline";
        this.onPresence(presence.device, presence.online);
      }
    }
    this.tick();
  }

  /**
   * Points that arrived for a device (from live frames): they count towards its rate, and it was seen now (the board
   * sends presence only when a device changes state).
   */
  notePoints(device: string, points: number, now = Date.now()): void {
    const row = this.rows.get(device);
    if (!row) return;
    row.recent.push([now, points]);
    row.presence = { ...row.presence, lastSeen: Math.max(row.presence.lastSeen, now) };
  }

  private add(presence: DevicePresence): DeviceRow {
    const element = document.createElement("li");
    element.className = "device";
    element.dataset.testid = "device";
    element.dataset.device = presence.device;
    child(element, "span", "device-dot");
    child(element, "span", "device-name", presence.device);
    const row: DeviceRow = {
      presence,
      element,
      state: child(element, "span", "device-state"),
      seen: child(element, "span", "device-seen"),
      rate: child(element, "span", "device-rate"),
      recent: [],
    };
    element.hidden = !presence.device.toLowerCase().includes(this.filter);
    const after = [...this.rows.keys()].find((name) => name > presence.device);
    this.list.insertBefore(element, after ? this.rows.get(after)!.element : null);
    this.rows.set(presence.device, row);
    return row;
  }

  /** Refreshes what changes with time: "last seen" and points per minute. */
  private tick(now = Date.now()): void {
    let online = 0;
    for (const row of this.rows.values()) {
      if (row.presence.online) online++;
      row.seen.textContent = `seen ${formatAgo(now - row.presence.lastSeen)}`;
      while (row.recent.length > 0 && row.recent[0]![0] < now - MINUTE_MS) row.recent.shift();
      const points = row.recent.reduce((sum, [, count]) => sum + count, 0);
      row.rate.textContent = `${points} pts/min`;
    }
    const devices = this.rows.size;
    this.summary.textContent = `${devices} device${devices === 1 ? "" : "s"}, ${online} online · ${this.viewers} viewer${this.viewers === 1 ? "" : "s"}`;
  }
}
