/**
 * One-time keys with an expiry, in a Durable Object's SQLite: the replay guard of Slack
 * interactions. A signed Slack request stays valid for five minutes; remembering its
 * signature until then means the same request is acted on once, even when replayed.
 * Check and insert are one statement in a single-threaded object, so two concurrent
 * replays cannot both pass.
 */

const SEEN_TABLE = `CREATE TABLE IF NOT EXISTS seen_signatures (
  key TEXT PRIMARY KEY,
  expires_at INTEGER NOT NULL
)`;

/** True the first time `key` is claimed before it expires; false for a replay. */
export function claimOnce(sql: SqlStorage, key: string, expiresAt: number, now: number): boolean {
  sql.exec(SEEN_TABLE);
  sql.exec('DELETE FROM seen_signatures WHERE expires_at <= ?', now);
  const cursor = sql.exec(
    'INSERT INTO seen_signatures (key, expires_at) VALUES (?, ?) ON CONFLICT (key) DO NOTHING',
    key,
    expiresAt,
  );
  return cursor.rowsWritten > 0;
}
