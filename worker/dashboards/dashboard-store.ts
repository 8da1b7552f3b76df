import {
  DASHBOARD_LIMITS,
  type Dashboard,
  type DashboardSummary,
  type DashboardVersionInfo,
} from "../protocol/dashboards.ts";

type Change = () => SqlStorageCursor<Record<string, SqlStorageValue>>;

/** What a save came to: the dashboard as stored, or why not (the version stored now, for a conflict). */
export type SaveResult =
  | { saved: Dashboard; created: boolean }
  | { conflict: number | null }
  | { full: true };

const SCHEMA = `
CREATE TABLE IF NOT EXISTS dashboards (
  uid TEXT PRIMARY KEY,
  version INTEGER NOT NULL,
  title TEXT NOT NULL,
  tags TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS dashboard_versions (
  uid TEXT NOT NULL,
  version INTEGER NOT NULL,
  saved_at INTEGER NOT NULL,
  body TEXT NOT NULL,
  PRIMARY KEY (uid, version)
);
`;

/**
 * A board's dashboards in the hub's SQLite: a row per dashboard (what the list shows and its current version) and
 * a row per saved version with the whole dashboard, the newest `DASHBOARD_LIMITS.versionsKept` of each.
 */
export class DashboardStore {
  private readonly sql: SqlStorage;
  private readonly record: (change: Change) => void;

  /** `record` runs each change (the hub counts its rows in its ledger). */
  constructor(sql: SqlStorage, record: (change: Change) => void) {
    this.sql = sql;
    this.record = record;
    sql.exec(SCHEMA);
  }

  list(): DashboardSummary[] {
    return this.sql
      .exec<{ uid: string; title: string; tags: string; version: number }>(
        "SELECT uid, title, tags, version FROM dashboards ORDER BY title, uid",
      )
      .toArray()
      .map((row) => ({ ...row, tags: JSON.parse(row.tags) as string[] }));
  }

  private currentVersion(uid: string): number | null {
    return (
      this.sql.exec<{ version: number }>("SELECT version FROM dashboards WHERE uid = ?", uid).toArray()[0]
        ?.version ?? null
    );
  }

  /** A dashboard as saved at `version` (its current one when omitted); null when there is none. */
  get(uid: string, version = this.currentVersion(uid)): Dashboard | null {
    if (version === null) return null;
    const row = this.sql
      .exec<{ body: string }>(
        "SELECT body FROM dashboard_versions WHERE uid = ? AND version = ?",
        uid,
        version,
      )
      .toArray()[0];
    return row ? (JSON.parse(row.body) as Dashboard) : null;
  }

  /** The versions kept of a dashboard, newest first; null when there is no such dashboard. */
  versions(uid: string): DashboardVersionInfo[] | null {
    if (this.currentVersion(uid) === null) return null;
    return this.sql
      .exec<{ version: number; savedAt: number; title: string }>(
        `SELECT version, saved_at AS savedAt, json_extract(body, '$.title') AS title
         FROM dashboard_versions WHERE uid = ? ORDER BY version DESC`,
        uid,
      )
      .toArray();
  }

  /**
   * Saves a dashboard over the version it names (0: a new one) as the next version, keeping the old; a stale
   * version is a conflict, a new dashboard past the board's limit is refused.
   */
  save(dashboard: Dashboard, now = Date.now()): SaveResult {
    const current = this.currentVersion(dashboard.uid);
    if ((current ?? 0) !== dashboard.version) return { conflict: current };
    if (current === null && this.count() >= DASHBOARD_LIMITS.dashboardsPerBoard) return { full: true };
    const saved: Dashboard = { ...dashboard, version: dashboard.version + 1 };
    const { uid, title, version } = saved;
    this.record(() =>
      this.sql.exec(
        "INSERT OR REPLACE INTO dashboards (uid, version, title, tags) VALUES (?, ?, ?, ?)",
        uid,
        version,
        title,
        JSON.stringify(saved.tags),
      ),
    );
    this.record(() =>
      this.sql.exec(
        "INSERT INTO dashboard_versions (uid, version, saved_at, body) VALUES (?, ?, ?, ?)",
        uid,
        version,
        now,
        JSON.stringify(saved),
      ),
    );
    this.record(() =>
      this.sql.exec(
        "DELETE FROM dashboard_versions WHERE uid = ? AND version <= ?",
        uid,
        version - DASHBOARD_LIMITS.versionsKept,
      ),
    );
    return { saved, created: current === null };
  }

  /** Deletes a dashboard and every version of it; false when there was none. */
  delete(uid: string): boolean {
    if (this.currentVersion(uid) === null) return false;
    this.record(() => this.sql.exec("DELETE FROM dashboards WHERE uid = ?", uid));
    this.record(() => this.sql.exec("DELETE FROM dashboard_versions WHERE uid = ?", uid));
    return true;
  }

  private count(): number {
    return this.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM dashboards").one().n;
  }
}
