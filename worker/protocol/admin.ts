/** What an admin may limit on a board (README "Admin API"). */
export interface BoardLimits {
  /** Series the board holds, shared evenly by the current layout's shards (each holds at most 5,000). */
  seriesPerBoard: number;
  /** Series one device may create. */
  seriesPerDevice: number;
  /** Viewers of every transport on the hub and its relays together. */
  viewers: number;
}

/** `GET …/admin/limits` and every admin change: the limits in effect, those an admin set, the revoked credentials. */
export interface AdminPolicy {
  limits: BoardLimits;
  set: Partial<BoardLimits>;
  /** `device:<id>` and `gateway:<name>`. */
  revoked: string[];
}

/** A device of `GET …/admin/devices`. */
export interface AdminDevice {
  device: string;
  online: boolean;
  lastSeen: number;
  series: number;
  revoked: boolean;
}
