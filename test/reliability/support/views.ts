import { openSqlite } from '@app/event-store';
import { ALL_PROJECTIONS, sqliteTableName } from '@app/read-models';

/** Every view row, sorted, so two states of the views can be compared whole. */
export function dumpViews(path: string): Record<string, unknown[]> {
  const db = openSqlite(path);
  try {
    const dump: Record<string, unknown[]> = {};
    for (const projection of ALL_PROJECTIONS) {
      for (const collection of projection.collections) {
        const table = sqliteTableName(collection, 'live');
        const rows = db.prepare(`SELECT * FROM "${table}"`).all() as Record<string, unknown>[];
        dump[table] = rows.map((row) => JSON.stringify(row)).sort();
      }
    }
    return dump;
  } finally {
    db.close();
  }
}

/** A small seeded generator, so a run's random kill moments can be replayed from its seed. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
