/**
 * The transparency log's SQLite tables in the LogSequencer Durable Object (docs/storage.md):
 * entries by index, the current contents of every hash tile, the lookup index and every
 * checkpoint published. Rows are only inserted, and tile rows only grow (a tile's earlier
 * hashes are never rewritten); the sequencer writes one append in one transaction.
 */
import type { TileContents } from '../core/tlog/tile-append';

export interface StoredCheckpoint {
  readonly size: number;
  readonly rootHash: Uint8Array;
  /** The signed note exactly as served at /log/checkpoint. */
  readonly note: string;
  readonly publishedAt: string;
}

export interface EntryWrite {
  readonly index: number;
  readonly bytes: Uint8Array;
  readonly keys: readonly string[];
}

const toBlob = (bytes: Uint8Array): ArrayBuffer => bytes.slice().buffer;
const fromBlob = (blob: ArrayBuffer): Uint8Array => new Uint8Array(blob);

export function createLogTables(sql: SqlStorage): void {
  sql.exec(`CREATE TABLE IF NOT EXISTS log_entries (idx INTEGER PRIMARY KEY, entry BLOB NOT NULL)`);
  sql.exec(
    `CREATE TABLE IF NOT EXISTS log_tiles (level INTEGER NOT NULL, idx INTEGER NOT NULL,
       hashes BLOB NOT NULL, PRIMARY KEY (level, idx)) WITHOUT ROWID`,
  );
  sql.exec(
    `CREATE TABLE IF NOT EXISTS log_lookup (key TEXT NOT NULL, idx INTEGER NOT NULL,
       PRIMARY KEY (key, idx)) WITHOUT ROWID`,
  );
  sql.exec(
    `CREATE TABLE IF NOT EXISTS log_checkpoints (size INTEGER PRIMARY KEY, root BLOB NOT NULL,
       note TEXT NOT NULL, published_at TEXT NOT NULL)`,
  );
}

/** Entries stored: the next index to assign. */
export function storedEntryCount(sql: SqlStorage): number {
  const row = sql.exec<{ last: number | null }>(`SELECT MAX(idx) AS last FROM log_entries`).one();
  return row.last === null ? 0 : row.last + 1;
}

export function latestCheckpoint(sql: SqlStorage): StoredCheckpoint | undefined {
  const row = sql
    .exec<{ size: number; root: ArrayBuffer; note: string; published_at: string }>(
      `SELECT size, root, note, published_at FROM log_checkpoints ORDER BY size DESC LIMIT 1`,
    )
    .toArray()[0];
  return row
    ? {
        size: row.size,
        rootHash: fromBlob(row.root),
        note: row.note,
        publishedAt: row.published_at,
      }
    : undefined;
}

export function readTileHashes(
  sql: SqlStorage,
  level: number,
  index: number,
): Uint8Array | undefined {
  const row = sql
    .exec<{ hashes: ArrayBuffer }>(
      `SELECT hashes FROM log_tiles WHERE level = ? AND idx = ?`,
      level,
      index,
    )
    .toArray()[0];
  return row ? fromBlob(row.hashes) : undefined;
}

/** Entries [start, end) in order; fewer when some are not stored. */
export function readEntryRange(sql: SqlStorage, start: number, end: number): Uint8Array[] {
  return sql
    .exec<{ entry: ArrayBuffer }>(
      `SELECT entry FROM log_entries WHERE idx >= ? AND idx < ? ORDER BY idx`,
      start,
      end,
    )
    .toArray()
    .map((row) => fromBlob(row.entry));
}

export function readEntry(sql: SqlStorage, index: number): Uint8Array | undefined {
  const row = sql
    .exec<{ entry: ArrayBuffer }>(`SELECT entry FROM log_entries WHERE idx = ?`, index)
    .toArray()[0];
  return row ? fromBlob(row.entry) : undefined;
}

/** The newest `limit` indexes filed under `key` below `size`, oldest first. */
export function lookupIndexes(sql: SqlStorage, key: string, size: number, limit: number): number[] {
  return sql
    .exec<{ idx: number }>(
      `SELECT idx FROM log_lookup WHERE key = ? AND idx < ? ORDER BY idx DESC LIMIT ?`,
      key,
      size,
      limit,
    )
    .toArray()
    .map((row) => row.idx)
    .reverse();
}

/** Writes one append: entries, their lookup keys, the changed tiles and the new checkpoint. */
export function writeAppend(
  storage: DurableObjectStorage,
  append: {
    readonly entries: readonly EntryWrite[];
    readonly tiles: readonly TileContents[];
    readonly checkpoint: StoredCheckpoint;
  },
): void {
  const sql = storage.sql;
  storage.transactionSync(() => {
    for (const entry of append.entries) {
      // Plain INSERT: an index already taken is a bug that must abort the append, not overwrite.
      sql.exec(
        `INSERT INTO log_entries (idx, entry) VALUES (?, ?)`,
        entry.index,
        toBlob(entry.bytes),
      );
      for (const key of entry.keys) {
        sql.exec(`INSERT OR IGNORE INTO log_lookup (key, idx) VALUES (?, ?)`, key, entry.index);
      }
    }
    for (const tile of append.tiles) {
      sql.exec(
        `INSERT INTO log_tiles (level, idx, hashes) VALUES (?, ?, ?)
           ON CONFLICT(level, idx) DO UPDATE SET hashes = excluded.hashes`,
        tile.level,
        tile.index,
        toBlob(tile.hashes),
      );
    }
    const { checkpoint } = append;
    sql.exec(
      `INSERT INTO log_checkpoints (size, root, note, published_at) VALUES (?, ?, ?, ?)`,
      checkpoint.size,
      toBlob(checkpoint.rootHash),
      checkpoint.note,
      checkpoint.publishedAt,
    );
  });
}
