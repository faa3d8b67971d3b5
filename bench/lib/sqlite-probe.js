'use strict';
/**
 * Read-only look into the engine's SQLite file (WAL lets it read while the engine writes):
 * the newest event position, a stream's last position, and the projection checkpoints.
 */
const Database = require('better-sqlite3');

/** the read-model projections (ALL_PROJECTIONS of libs/read-models) */
const READ_MODEL_PROJECTIONS = (process.env.BENCH_PROJECTIONS ?? 'customers,accounts,lots,transfers,histogram').split(',');

function openProbe(dbPath) {
  const db = new Database(dbPath, { readonly: true, fileMustExist: true });
  db.pragma('busy_timeout = 5000');
  const head = db.prepare('SELECT MAX(position) AS p FROM events');
  const streamHead = db.prepare('SELECT MAX(position) AS p FROM events WHERE stream_id = ?');
  let checkpoints;
  const checkpointStatement = () =>
    (checkpoints ??= db.prepare("SELECT name, position FROM projection_checkpoints WHERE name NOT LIKE '%\\_\\_rebuild' ESCAPE '\\'"));
  return {
    db,
    head: () => head.get().p ?? -1,
    streamHead: (streamId) => streamHead.get(streamId).p ?? -1,
    /**
     * [{name, position}] of the live read-model projections; [] before the engine created the table.
     * Other subscribers keeping a checkpoint in the same table (the p2p process manager) are not
     * read models and are left out, unless BENCH_PROJECTIONS names them.
     */
    checkpoints: () => {
      let rows;
      try {
        rows = checkpointStatement().all();
      } catch {
        return [];
      }
      const views = rows.filter((r) => READ_MODEL_PROJECTIONS.includes(r.name));
      return views.length ? views : rows;
    },
    /** every checkpoint in the table, read models or not */
    allCheckpoints: () => {
      try {
        return checkpointStatement().all();
      } catch {
        return [];
      }
    },
    /** lowest live checkpoint: every projection has applied up to here; -1 when none yet */
    minCheckpoint() {
      const rows = this.checkpoints();
      return rows.length ? Math.min(...rows.map((r) => r.position)) : -1;
    },
    close: () => db.close(),
  };
}

module.exports = { openProbe };
