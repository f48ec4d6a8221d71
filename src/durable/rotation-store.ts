/**
 * The hashing rotation's memory inside MonitorState's SQLite: a per-release cache of
 * verified manifest entries (from the KV pins, or verified and pinned by the rotation), the
 * rotation's queue marks, and the last failure of each artifact's hashing (evidence for
 * the dead-letter finding). Artifact results themselves live in MonitorState's `artifacts`
 * table. Plain functions over `SqlStorage`, so MonitorState stays a thin RPC surface.
 * Tables: docs/storage.md.
 */
import {
  summarizeLineCoverage,
  type HashResultKind,
  type LineCoverage,
} from '../core/rotation-coverage';
import {
  planRotation,
  type RotationArtifact,
  type RotationPlan,
  type RotationPolicy,
} from '../core/rotation-plan';

/** Why a listed release has no cached manifest (yet). */
export type ManifestCacheStatus = 'cached' | 'unpinned' | 'unavailable' | 'unverified';

export interface CachedEntry {
  readonly name: string;
  readonly sha256: string;
  /** Pinned Content-Length, when the pin has one. */
  readonly size?: number;
}

export interface CacheManifestInput {
  readonly version: string;
  /** `pin`: copied from the KV pin; `verified`: fetched, verified and pinned by the rotation. */
  readonly source: 'pin' | 'verified';
  readonly entries: readonly CachedEntry[];
  readonly at: string;
}

export interface ManifestStatusInput {
  readonly version: string;
  readonly status: Exclude<ManifestCacheStatus, 'cached'>;
  readonly detail: string;
  readonly at: string;
  /** When the rotation may try this release again. */
  readonly nextCheckAt: string;
}

export interface PlanRotationInput {
  /** Releases listed in index.json; undefined (index unavailable) = every cached release. */
  readonly versions?: readonly string[];
  readonly now: string;
  readonly policy: RotationPolicy;
  /** Artifacts the sweep queues itself (new releases, changed metadata): marked in flight. */
  readonly queuedBySweep?: readonly { readonly version: string; readonly name: string }[];
}

export interface HashFailureRecord {
  readonly version: string;
  readonly name: string;
  readonly error: string;
  readonly at: string;
}

export function createRotationTables(sql: SqlStorage): void {
  sql.exec(
    `CREATE TABLE IF NOT EXISTS rotation_releases (version TEXT PRIMARY KEY, status TEXT NOT NULL,
       source TEXT, detail TEXT, checked_at TEXT NOT NULL, next_check_at TEXT)`,
  );
  sql.exec(
    `CREATE TABLE IF NOT EXISTS rotation_entries (version TEXT NOT NULL, name TEXT NOT NULL,
       sha256 TEXT NOT NULL, size INTEGER, queued_at TEXT, PRIMARY KEY (version, name))`,
  );
  sql.exec(
    `CREATE TABLE IF NOT EXISTS hash_failures (version TEXT NOT NULL, name TEXT NOT NULL,
       failures INTEGER NOT NULL, last_error TEXT NOT NULL, last_at TEXT NOT NULL,
       PRIMARY KEY (version, name))`,
  );
}

/**
 * The listed versions, in the order given, that have no cached manifest and are due for
 * another try; at most `limit`.
 */
export function releasesNeedingManifest(
  sql: SqlStorage,
  versions: readonly string[],
  now: string,
  limit: number,
): string[] {
  const known = new Map<string, { status: string; next: string | null }>();
  for (const row of sql
    .exec<{ version: string; status: string; next_check_at: string | null }>(
      `SELECT version, status, next_check_at FROM rotation_releases`,
    )
    .toArray()) {
    known.set(row.version, { status: row.status, next: row.next_check_at });
  }
  const due: string[] = [];
  for (const version of versions) {
    if (due.length >= limit) break;
    const row = known.get(version);
    if (row === undefined || (row.status !== 'cached' && (row.next === null || row.next <= now))) {
      due.push(version);
    }
  }
  return due;
}

/** Replaces the release's cached entries, keeping the queue marks of unchanged ones. */
export function cacheManifest(sql: SqlStorage, input: CacheManifestInput): void {
  const queued = new Map(
    sql
      .exec<{ name: string; sha256: string; queued_at: string | null }>(
        `SELECT name, sha256, queued_at FROM rotation_entries WHERE version = ?`,
        input.version,
      )
      .toArray()
      .map((row) => [`${row.name}\n${row.sha256}`, row.queued_at]),
  );
  sql.exec(`DELETE FROM rotation_entries WHERE version = ?`, input.version);
  for (const entry of input.entries) {
    sql.exec(
      `INSERT INTO rotation_entries (version, name, sha256, size, queued_at) VALUES (?, ?, ?, ?, ?)`,
      input.version,
      entry.name,
      entry.sha256,
      entry.size ?? null,
      queued.get(`${entry.name}\n${entry.sha256}`) ?? null,
    );
  }
  sql.exec(
    `INSERT OR REPLACE INTO rotation_releases (version, status, source, detail, checked_at, next_check_at)
     VALUES (?, 'cached', ?, ?, ?, NULL)`,
    input.version,
    input.source,
    `${input.entries.length} entries`,
    input.at,
  );
}

export function markManifest(sql: SqlStorage, input: ManifestStatusInput): void {
  sql.exec(
    `INSERT OR REPLACE INTO rotation_releases (version, status, source, detail, checked_at, next_check_at)
     VALUES (?, ?, NULL, ?, ?, ?)`,
    input.version,
    input.status,
    input.detail.slice(0, 500),
    input.at,
    input.nextCheckAt,
  );
}

export function manifestStatuses(
  sql: SqlStorage,
): { version: string; status: ManifestCacheStatus; detail: string | null; checkedAt: string }[] {
  return sql
    .exec<{
      version: string;
      status: ManifestCacheStatus;
      detail: string | null;
      checked_at: string;
    }>(`SELECT version, status, detail, checked_at FROM rotation_releases ORDER BY version`)
    .toArray()
    .map((row) => ({
      version: row.version,
      status: row.status,
      detail: row.detail,
      checkedAt: row.checked_at,
    }));
}

type ArtifactRow = {
  version: string;
  name: string;
  sha256: string;
  size: number | null;
  queued_at: string | null;
  result: HashResultKind | null;
  bytes: number | null;
  verified_at: string | null;
};

function readArtifacts(sql: SqlStorage, versions: readonly string[] | undefined): ArtifactRow[] {
  const rows = sql
    .exec<ArtifactRow>(
      `SELECT e.version, e.name, e.sha256, e.size, e.queued_at, a.result, a.bytes, a.verified_at
       FROM rotation_entries e LEFT JOIN artifacts a ON a.version = e.version AND a.name = e.name`,
    )
    .toArray();
  if (versions === undefined) return rows;
  const listed = new Set(versions);
  return rows.filter((row) => listed.has(row.version));
}

/** Plans this sweep's rotation and marks the planned artifacts as queued. */
export function planAndMarkRotation(sql: SqlStorage, input: PlanRotationInput): RotationPlan {
  const now = Date.parse(input.now);
  for (const artifact of input.queuedBySweep ?? [])
    markQueued(sql, artifact.version, artifact.name, input.now);
  // Every field present on every row: one object shape keeps the planner's pass fast.
  const artifacts = readArtifacts(sql, input.versions).map((row): RotationArtifact => ({
    version: row.version,
    name: row.name,
    sha256: row.sha256,
    size: row.size ?? (row.result === 'verified' && row.bytes !== null ? row.bytes : undefined),
    lastHashedAt: row.verified_at !== null ? Date.parse(row.verified_at) : undefined,
    queuedAt: row.queued_at !== null ? Date.parse(row.queued_at) : undefined,
  }));
  const plan = planRotation(artifacts, now, input.policy);
  for (const job of plan.jobs) markQueued(sql, job.version, job.name, input.now);
  return plan;
}

function markQueued(sql: SqlStorage, version: string, name: string, at: string): void {
  sql.exec(
    `UPDATE rotation_entries SET queued_at = ? WHERE version = ? AND name = ?`,
    at,
    version,
    name,
  );
}

/** Per release line: files of cached manifests verified within the period. */
export function lineCoverage(
  sql: SqlStorage,
  input: { readonly versions?: readonly string[]; readonly now: string; readonly periodMs: number },
): LineCoverage[] {
  const rows = readArtifacts(sql, input.versions);
  const statuses = sql
    .exec<{ version: string; status: string }>(`SELECT version, status FROM rotation_releases`)
    .toArray();
  const cached = new Set(
    statuses.filter((row) => row.status === 'cached').map((row) => row.version),
  );
  // Without a version list (the status page), every release the rotation knows of but could
  // not cache counts as pending: a line is never "all verified" while one of its releases is
  // not being checked.
  const pending =
    input.versions ?? statuses.filter((row) => row.status !== 'cached').map((row) => row.version);
  return summarizeLineCoverage({
    artifacts: rows.map((row) => ({
      version: row.version,
      ...(row.result !== null && { result: row.result }),
      ...(row.verified_at !== null && { at: Date.parse(row.verified_at) }),
    })),
    pendingVersions: pending.filter((version) => !cached.has(version)),
    now: Date.parse(input.now),
    periodMs: input.periodMs,
  });
}

export function recordHashFailures(sql: SqlStorage, failures: readonly HashFailureRecord[]): void {
  for (const failure of failures) {
    sql.exec(
      `INSERT INTO hash_failures (version, name, failures, last_error, last_at) VALUES (?, ?, 1, ?, ?)
       ON CONFLICT(version, name) DO UPDATE SET failures = hash_failures.failures + 1,
         last_error = excluded.last_error, last_at = excluded.last_at`,
      failure.version,
      failure.name,
      failure.error.slice(0, 500),
      failure.at,
    );
  }
}

export function lastHashFailure(
  sql: SqlStorage,
  version: string,
  name: string,
): { error: string; failures: number; at: string } | undefined {
  const row = sql
    .exec<{ failures: number; last_error: string; last_at: string }>(
      `SELECT failures, last_error, last_at FROM hash_failures WHERE version = ? AND name = ?`,
      version,
      name,
    )
    .toArray()[0];
  return row ? { error: row.last_error, failures: row.failures, at: row.last_at } : undefined;
}

/** A verified or mismatching body ends the failure streak. */
export function clearHashFailures(
  sql: SqlStorage,
  artifacts: readonly { readonly version: string; readonly name: string }[],
): void {
  for (const artifact of artifacts) {
    sql.exec(
      `DELETE FROM hash_failures WHERE version = ? AND name = ?`,
      artifact.version,
      artifact.name,
    );
  }
}
