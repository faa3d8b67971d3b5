import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';

export type SqliteDatabase = Database.Database;

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
  db.pragma('busy_timeout = 5000');
  db.pragma('foreign_keys = ON');
  return db;
}
