/**
 * The monitor's memory of releases, inside MonitorState's SQLite: every version index.json
 * ever listed with its first sighting (core/release-novelty.ts), the index entry each pin
 * recorded (core/index-pins.ts: pins outlive index.json), when each pinned manifest was last
 * re-checked (core/manifest-recheck-plan.ts), and which signed files are currently not
 * served, since when (core/manifest-silence.ts). Plain functions over `SqlStorage`, so
 * MonitorState stays a thin RPC surface. Tables: docs/storage.md.
 *
 * Contract: a sighting and a pinned entry are written once and never rewritten (the first
 * verified facts are the ones that count); check times and silences are updated freely.
 */
import type { PinnedIndexEntry } from '../core/index-pins';
import type { ManifestObservation } from '../core/manifest-silence';
import type { ReleaseSighting } from '../core/release-novelty';

/** One row of the registry, as the sweep reads it. */
export interface RegisteredRelease extends ReleaseSighting {
  /** The index entry recorded at pin time; absent for releases not pinned (or not yet backfilled). */
  readonly pinned?: PinnedIndexEntry;
  readonly manifestCheckedAt?: string;
}

export interface ReleaseRegistry {
  readonly releases: readonly RegisteredRelease[];
  /** When the last valid index.json was read. */
  readonly lastIndexAt?: string;
  /** Versions with a signed file currently not served. */
  readonly silent: readonly string[];
}

export interface PinnedEntryRecord {
  readonly entry: PinnedIndexEntry;
  readonly pinnedAt: string;
}

/** A silence as stored: when it began. */
export interface SilenceRecord {
  readonly url: string;
  readonly since: string;
}

/** Silences not observed for this long are forgotten (the release is no longer asked for). */
const SILENCE_FORGET_MS = 7 * 24 * 60 * 60 * 1000;

export function createReleaseRegistryTables(sql: SqlStorage): void {
  sql.exec(
    `CREATE TABLE IF NOT EXISTS release_registry (version TEXT PRIMARY KEY,
       first_seen_at TEXT NOT NULL, not_listed_at TEXT, baseline INTEGER NOT NULL,
       pinned_entry TEXT, pinned_at TEXT, manifest_checked_at TEXT)`,
  );
  sql.exec(
    `CREATE TABLE IF NOT EXISTS manifest_silence (url TEXT PRIMARY KEY, version TEXT NOT NULL,
       since TEXT NOT NULL, last_at TEXT NOT NULL, detail TEXT NOT NULL)`,
  );
  sql.exec(`CREATE TABLE IF NOT EXISTS registry_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)`);
}

type RegistryRow = {
  version: string;
  first_seen_at: string;
  not_listed_at: string | null;
  baseline: number;
  pinned_entry: string | null;
  manifest_checked_at: string | null;
};

export function readReleaseRegistry(sql: SqlStorage): ReleaseRegistry {
  const releases = sql
    .exec<RegistryRow>(
      `SELECT version, first_seen_at, not_listed_at, baseline, pinned_entry, manifest_checked_at
       FROM release_registry`,
    )
    .toArray()
    .map((row): RegisteredRelease => ({
      version: row.version,
      firstSeenAt: row.first_seen_at,
      ...(row.not_listed_at !== null && { notListedAt: row.not_listed_at }),
      baseline: row.baseline === 1,
      ...(row.pinned_entry !== null && {
        pinned: JSON.parse(row.pinned_entry) as PinnedIndexEntry,
      }),
      ...(row.manifest_checked_at !== null && { manifestCheckedAt: row.manifest_checked_at }),
    }));
  const lastIndexAt = sql
    .exec<{ value: string }>(`SELECT value FROM registry_meta WHERE key = 'lastIndexAt'`)
    .toArray()[0]?.value;
  const silent = sql
    .exec<{ version: string }>(`SELECT DISTINCT version FROM manifest_silence`)
    .toArray()
    .map((row) => row.version);
  return { releases, ...(lastIndexAt !== undefined && { lastIndexAt }), silent };
}

/** Adds first sightings (existing ones are kept) and notes when this index was read. */
export function recordSightings(
  sql: SqlStorage,
  sightings: readonly ReleaseSighting[],
  indexAt: string,
): void {
  for (const sighting of sightings) {
    sql.exec(
      `INSERT OR IGNORE INTO release_registry (version, first_seen_at, not_listed_at, baseline)
       VALUES (?, ?, ?, ?)`,
      sighting.version,
      sighting.firstSeenAt,
      sighting.notListedAt ?? null,
      sighting.baseline ? 1 : 0,
    );
  }
  sql.exec(
    `INSERT INTO registry_meta (key, value) VALUES ('lastIndexAt', ?)
     ON CONFLICT(key) DO UPDATE SET value = excluded.value`,
    indexAt,
  );
}

/**
 * Records the index entry of each pin, once: a release already registered as pinned keeps
 * its first entry. A release never sighted (pinned while index.json was unavailable) is
 * registered as baseline at its pin time.
 */
export function recordPinnedEntries(sql: SqlStorage, records: readonly PinnedEntryRecord[]): void {
  for (const { entry, pinnedAt } of records) {
    sql.exec(
      `INSERT OR IGNORE INTO release_registry (version, first_seen_at, baseline) VALUES (?, ?, 1)`,
      entry.version,
      pinnedAt,
    );
    sql.exec(
      `UPDATE release_registry SET pinned_entry = ?, pinned_at = ?
       WHERE version = ? AND pinned_entry IS NULL`,
      JSON.stringify(entry),
      pinnedAt,
      entry.version,
    );
  }
}

export function markManifestsChecked(
  sql: SqlStorage,
  versions: readonly string[],
  at: string,
): void {
  for (const version of versions) {
    sql.exec(`UPDATE release_registry SET manifest_checked_at = ? WHERE version = ?`, at, version);
  }
}

/**
 * Records what each signed file answered: a served file ends its silence; any other answer
 * starts one (or continues it, keeping when it began). Returns, for every file not served,
 * when its silence began. Silences not seen again for a week are forgotten.
 */
export function recordManifestAnswers(
  sql: SqlStorage,
  observations: readonly ManifestObservation[],
  at: string,
): SilenceRecord[] {
  const silences: SilenceRecord[] = [];
  for (const observation of observations) {
    if (observation.answer.kind === 'file') {
      sql.exec(`DELETE FROM manifest_silence WHERE url = ?`, observation.url);
      continue;
    }
    sql.exec(
      `INSERT INTO manifest_silence (url, version, since, last_at, detail) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT(url) DO UPDATE SET last_at = excluded.last_at, detail = excluded.detail`,
      observation.url,
      observation.release,
      at,
      at,
      observation.answer.detail.slice(0, 200),
    );
    const row = sql
      .exec<{ since: string }>(`SELECT since FROM manifest_silence WHERE url = ?`, observation.url)
      .toArray()[0];
    silences.push({ url: observation.url, since: row?.since ?? at });
  }
  const forgetBefore = new Date(Date.parse(at) - SILENCE_FORGET_MS).toISOString();
  sql.exec(`DELETE FROM manifest_silence WHERE last_at < ?`, forgetBefore);
  return silences;
}
