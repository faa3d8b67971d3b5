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
