import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';

export type SqliteDatabase = Database.Database;

/**
 * WAL pages a commit may leave behind before that commit copies the WAL back into the file
 * (SQLite's default is 1,000). A points command dirties about 9 pages (its event, then five views
 * and their indexes); a checkpoint copies each page once however often it changed since the last
 * one, and fsyncs the WAL and the file, on the thread that committed. At 1,000 that happened every
 * few projection batches; at 10,000 (about 40 MB of WAL) the pages written over and over (account
 * rows, the newest page of each index, today's histogram) are copied a tenth as often.
 */
export const WAL_AUTOCHECKPOINT_PAGES = 10_000;

/**
 * Opens the embedded profile's single SQLite file (events, read models, checkpoints).
 *
 * WAL lets readers run while one writer appends. synchronous=FULL makes every committed
 * transaction fsync the WAL before the commit returns, so an append we acknowledged
 * survives kill -9 and power loss alike (NORMAL would survive kill -9 but may lose the
 * last commits on power loss; an acknowledged append must never be lost).
 */
export function openSqlite(path: string): SqliteDatabase {
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.pragma(`wal_autocheckpoint = ${WAL_AUTOCHECKPOINT_PAGES}`);
  db.pragma('busy_timeout = 5000');
  db.pragma('foreign_keys = ON');
  return db;
}
