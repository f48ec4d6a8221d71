/**
 * The SnapshotWriter's own SQLite tables (docs/storage.md): its settings (the last version
 * handed out, a requested snapshot not yet taken), the records of listed incidents it
 * keeps between snapshots, and the versions still in KV.
 */
import type { IncidentRecord } from '../core/incident';
import type { RecordCache } from '../jobs/snapshot-input';

const TABLES = [
  'CREATE TABLE IF NOT EXISTS writer_settings (key TEXT PRIMARY KEY, value TEXT NOT NULL)',
  'CREATE TABLE IF NOT EXISTS record_cache (id TEXT PRIMARY KEY, version INTEGER NOT NULL, record TEXT NOT NULL)',
  'CREATE TABLE IF NOT EXISTS published (version INTEGER PRIMARY KEY, published_at INTEGER NOT NULL)',
];

export function createWriterTables(sql: SqlStorage): void {
  for (const statement of TABLES) sql.exec(statement);
}

/** Records by incident id and listing version (src/jobs/snapshot-input.ts). */
export function createRecordCache(sql: SqlStorage): RecordCache {
  return {
    get(id, version) {
      const row = sql
        .exec<{ record: string }>(
          'SELECT record FROM record_cache WHERE id = ? AND version = ?',
          id,
          version,
        )
        .toArray()[0];
      return row === undefined ? undefined : (JSON.parse(row.record) as IncidentRecord);
    },
    put(id, version, record) {
      sql.exec(
        'INSERT OR REPLACE INTO record_cache (id, version, record) VALUES (?, ?, ?)',
        id,
        version,
        JSON.stringify(record),
      );
    },
    retain(ids) {
      const stored = sql.exec<{ id: string }>('SELECT id FROM record_cache').toArray();
      for (const { id } of stored)
        if (!ids.has(id)) sql.exec('DELETE FROM record_cache WHERE id = ?', id);
    },
  };
}
