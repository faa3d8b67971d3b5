import type { SqliteDatabase } from '@app/event-store';
import type { Lease, LeaseStore, LeaseTime } from './lease.port';

/**
 * The embedded profile's leases, in its SQLite file. One engine process normally holds them for
 * good; the table still makes a second process on the same file (a projector beside the API) wait.
 */
export class SqliteLeaseStore implements LeaseStore {
  constructor(private readonly db: SqliteDatabase, private readonly now: LeaseTime = Date.now) {
    db.exec('CREATE TABLE IF NOT EXISTS leases (name TEXT PRIMARY KEY, holder TEXT NOT NULL, expires_at INTEGER NOT NULL) WITHOUT ROWID');
  }

  async acquire(name: string, holder: string, ttlMs: number): Promise<boolean> {
    const now = this.now();
    // one statement is the compare-and-set: the row is taken only when missing, expired or ours
    const taken = this.db
      .prepare(
        `INSERT INTO leases (name, holder, expires_at) VALUES (?, ?, ?)
         ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at
         WHERE leases.holder = excluded.holder OR leases.expires_at <= ?`,
      )
      .run(name, holder, now + ttlMs, now);
    return taken.changes === 1;
  }

  async release(name: string, holder: string): Promise<void> {
    this.db.prepare('DELETE FROM leases WHERE name = ? AND holder = ?').run(name, holder);
  }

  async current(name: string): Promise<Lease | undefined> {
    const row = this.db.prepare('SELECT name, holder, expires_at AS expiresAt FROM leases WHERE name = ?').get(name) as Lease | undefined;
    return row;
  }
}
