/**
 * The incident row and its append-only timeline, in the object's SQLite storage.
 * Every write of the row bumps `version`, which the index uses to ignore stale summaries.
 */
import type { Finding } from '../core/findings';
import type {
  Actor,
  IncidentRecord,
  JsonObject,
  TimelineEntry,
  TimelineEntryType,
} from '../core/incident';

/** The incident row: the public record plus bookkeeping. */
export interface StoredIncident {
  readonly record: IncidentRecord;
  /** The latest finding, evidence included: what the playbook works from. */
  readonly finding: Finding;
  readonly lastSweepId?: string;
  readonly lastCleanSweepId?: string;
  /** Epoch ms the escalation clock counts from: (re)opened, or the latest escalation. */
  readonly escalationSince: number;
  readonly playbookRun: number;
  readonly version: number;
}

interface IncidentRow extends Record<string, SqlStorageValue> {
  record: string;
  finding: string;
  last_sweep_id: string | null;
  last_clean_sweep_id: string | null;
  escalation_since: number;
  playbook_run: number;
  version: number;
}

interface TimelineRow extends Record<string, SqlStorageValue> {
  seq: number;
  at: string;
  actor: string;
  type: string;
  message: string;
  data: string | null;
}

export interface TimelineInput {
  readonly at: number;
  readonly actor: Actor;
  readonly type: TimelineEntryType;
  readonly message: string;
  readonly data?: Readonly<Record<string, unknown>>;
}

export class IncidentStore {
  constructor(private readonly sql: SqlStorage) {}

  read(): StoredIncident | undefined {
    const row = this.sql
      .exec<IncidentRow>('SELECT * FROM incident WHERE singleton = 1')
      .toArray()[0];
    if (row === undefined) return undefined;
    return {
      record: JSON.parse(row.record) as IncidentRecord,
      finding: JSON.parse(row.finding) as Finding,
      ...(row.last_sweep_id !== null && { lastSweepId: row.last_sweep_id }),
      ...(row.last_clean_sweep_id !== null && { lastCleanSweepId: row.last_clean_sweep_id }),
      escalationSince: row.escalation_since,
      playbookRun: row.playbook_run,
      version: row.version,
    };
  }

  /** Inserts or replaces the row; returns it with the new version. */
  write(next: Omit<StoredIncident, 'version'>): StoredIncident {
    const version = (this.read()?.version ?? 0) + 1;
    this.sql.exec(
      `INSERT OR REPLACE INTO incident
        (singleton, record, finding, last_sweep_id, last_clean_sweep_id, escalation_since, playbook_run, version)
        VALUES (1, ?, ?, ?, ?, ?, ?, ?)`,
      JSON.stringify(next.record),
      JSON.stringify(next.finding),
      next.lastSweepId ?? null,
      next.lastCleanSweepId ?? null,
      next.escalationSince,
      next.playbookRun,
      version,
    );
    return { ...next, version };
  }

  append(entry: TimelineInput): void {
    this.sql.exec(
      'INSERT INTO timeline (at, actor, type, message, data) VALUES (?, ?, ?, ?, ?)',
      new Date(entry.at).toISOString(),
      entry.actor,
      entry.type,
      entry.message,
      entry.data === undefined ? null : JSON.stringify(entry.data),
    );
  }

  timeline(): TimelineEntry[] {
    return this.sql
      .exec<TimelineRow>('SELECT * FROM timeline ORDER BY seq')
      .toArray()
      .map((row) => ({
        seq: row.seq,
        at: row.at,
        actor: row.actor as Actor,
        type: row.type as TimelineEntryType,
        message: row.message,
        ...(row.data !== null && { data: JSON.parse(row.data) as JsonObject }),
      }));
  }
}
