/**
 * The SQL of the PostgreSQL event store: one events table, its position function and the
 * trigger that wakes subscribers, all inside one schema so several stores (and tests) can share
 * a database without seeing each other.
 */

const IDENTIFIER = /^[a-z_][a-z0-9_]{0,47}$/;

/** Refuses a schema name that would need quoting (or could inject SQL) before it reaches any statement. */
export function validateSchemaName(schema: string): void {
  if (!IDENTIFIER.test(schema)) {
    throw new RangeError(`PostgreSQL schema must be lower-case letters, digits and _ (at most 48), got "${schema}"`);
  }
}

/** LISTEN/NOTIFY channel of one schema's appends. */
export function appendChannel(schema: string): string {
  return `${schema}_events_appended`;
}

/**
 * Key of the advisory lock that orders position assignment, one per schema. The two-int form
 * with our own class id keeps it apart from single-key advisory locks other code may take.
 */
const POSITION_LOCK_CLASS = 0x4c4f59; // "LOY"

/**
 * Why positions are taken under a transaction-scoped advisory lock (in the column default, so
 * every writer takes it, not only this adapter):
 * a plain sequence hands a lower position to a transaction that may commit after one holding a
 * higher position; a reader that already passed the higher one would never see the lower one.
 * Holding the lock from the first position taken until commit (PostgreSQL releases transaction
 * locks only after the commit is visible) makes positions visible in their own order, so a
 * subscriber or a readAll catch-up can follow one number and never skip. The cost: appends
 * commit one at a time per schema. We chose it over snapshot (xmin) filters because the port's
 * checkpoint is a single position and an xmin filter only defers, without ordering, the rows a
 * reader may pass. Rolled back appends leave gaps; readers do not care.
 */
export function schemaStatements(schema: string): string[] {
  const channel = appendChannel(schema);
  return [
    `CREATE SCHEMA IF NOT EXISTS ${schema}`,
    `CREATE SEQUENCE IF NOT EXISTS ${schema}.events_position_seq`,
    `CREATE OR REPLACE FUNCTION ${schema}.next_event_position() RETURNS bigint LANGUAGE plpgsql VOLATILE AS $$
      BEGIN
        PERFORM pg_advisory_xact_lock(${POSITION_LOCK_CLASS}, hashtext('${schema}'));
        RETURN nextval('${schema}.events_position_seq');
      END
    $$`,
    `CREATE TABLE IF NOT EXISTS ${schema}.events (
      position    bigint      PRIMARY KEY DEFAULT ${schema}.next_event_position(),
      stream_id   text        NOT NULL,
      revision    integer     NOT NULL,
      event_id    text        NOT NULL,
      type        text        NOT NULL,
      data        json        NOT NULL,
      metadata    json        NOT NULL,
      recorded_at timestamptz NOT NULL,
      CONSTRAINT events_stream_revision UNIQUE (stream_id, revision),
      CONSTRAINT events_stream_event_id UNIQUE (stream_id, event_id)
    )`,
    `ALTER SEQUENCE ${schema}.events_position_seq OWNED BY ${schema}.events.position`,
    // One notification per appending transaction (PostgreSQL folds identical ones), sent at commit.
    `CREATE OR REPLACE FUNCTION ${schema}.notify_events_appended() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        PERFORM pg_notify('${channel}', '');
        RETURN NULL;
      END
    $$`,
    `CREATE OR REPLACE TRIGGER events_appended AFTER INSERT ON ${schema}.events
      FOR EACH STATEMENT EXECUTE FUNCTION ${schema}.notify_events_appended()`,
  ];
}

/** Serializes schema creation: concurrent CREATE ... IF NOT EXISTS from several replicas can still collide in the catalog. */
export function lockSchemaCreation(schema: string): string {
  return `SELECT pg_advisory_xact_lock(${POSITION_LOCK_CLASS + 1}, hashtext('${schema}'))`;
}

export const EVENT_COLUMNS = 'position, stream_id, revision, event_id, type, data, metadata, recorded_at';
