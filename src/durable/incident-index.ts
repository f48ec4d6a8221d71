/**
 * IncidentIndex: the one list of incidents (singleton, `idFromName('index')`). Each
 * IncidentObject pushes its summary after every change; the index keeps the newest version
 * of each and answers listings (open first, newest first) and id → fingerprint lookups for
 * `/api/incidents/:id`.
 */
import { DurableObject } from 'cloudflare:workers';
import {
  INCIDENT_STATES,
  isIncidentId,
  type IncidentState,
  type IncidentSummary,
} from '../core/incident';
import { isFindingKind, kindSpec, type FindingKind, type Severity } from '../core/findings';
import type { MonitorEnv } from '../env';
import {
  completedSteps,
  createResponseTotalsTable,
  readResponseTotals,
  recordCompletedSteps,
  type ResponseTotal,
} from './response-totals';
import { claimOnce } from './seen-signatures';
import { requestSnapshot } from '../jobs/publish-snapshot';

export const INCIDENT_INDEX_NAME = 'index';

const INDEX_TABLES = [
  `CREATE TABLE IF NOT EXISTS incidents (
    id TEXT PRIMARY KEY,
    fingerprint TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL,
    state TEXT NOT NULL,
    opened_at TEXT NOT NULL,
    version INTEGER NOT NULL,
    summary TEXT NOT NULL
  )`,
  "CREATE INDEX IF NOT EXISTS incidents_listing ON incidents ((state = 'resolved'), opened_at DESC)",
];

export interface IncidentListOptions {
  /** Only these states; default all. */
  readonly states?: readonly IncidentState[];
  /** Default 100, at most 500. */
  readonly limit?: number;
  readonly offset?: number;
}

/** An incident still needing attention, for the sweep's clean-sweep bookkeeping. */
export interface OpenIncidentRef {
  readonly id: string;
  readonly fingerprint: string;
  readonly kind: FindingKind;
  /** Its current severity (so the sweep knows which sightings will raise it). */
  readonly severity?: Severity;
}

export class IncidentIndex extends DurableObject<MonitorEnv> {
  constructor(ctx: DurableObjectState, env: MonitorEnv) {
    super(ctx, env);
    void ctx.blockConcurrencyWhile(async () => {
      for (const statement of INDEX_TABLES) ctx.storage.sql.exec(statement);
      createResponseTotalsTable(ctx.storage.sql);
    });
  }

  /** Stores the summary unless a newer version is already here. Returns whether it did. */
  async upsert(summary: IncidentSummary): Promise<boolean> {
    if (!isIncidentId(summary.id)) throw new TypeError('an incident summary needs a valid id');
    const previous = this.ctx.storage.sql
      .exec<{ summary: string }>('SELECT summary FROM incidents WHERE id = ?', summary.id)
      .toArray()[0];
    const cursor = this.ctx.storage.sql.exec(
      `INSERT INTO incidents (id, fingerprint, kind, state, opened_at, version, summary) VALUES (?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (id) DO UPDATE SET kind = excluded.kind, state = excluded.state, opened_at = excluded.opened_at,
         version = excluded.version, summary = excluded.summary
       WHERE excluded.version > incidents.version`,
      summary.id,
      summary.fingerprint,
      summary.kind,
      summary.state,
      summary.openedAt,
      summary.version,
      JSON.stringify(summary),
    );
    const stored = cursor.rowsWritten > 0;
    // Response counters for /metrics (response-totals.ts): steps this version completes.
    if (stored) {
      const before = previous ? (JSON.parse(previous.summary) as IncidentSummary) : undefined;
      recordCompletedSteps(this.ctx.storage.sql, completedSteps(before, summary));
    }
    // The public pages show the listing through a snapshot: a change asks for a new one.
    if (stored) await requestSnapshot(this.env, 'incident');
    return stored;
  }

  /** Response counters per step and severity, for `/metrics` (never decrease). */
  responseTotals(): ResponseTotal[] {
    return readResponseTotals(this.ctx.storage.sql);
  }

  /** Unresolved incidents first, then resolved; newest opened first within each. */
  list(options: IncidentListOptions = {}): IncidentSummary[] {
    const states = (options.states ?? INCIDENT_STATES).filter((state) =>
      INCIDENT_STATES.includes(state),
    );
    if (states.length === 0) return [];
    const limit = Math.min(Math.max(1, Math.trunc(options.limit ?? 100)), 500);
    const offset = Math.max(0, Math.trunc(options.offset ?? 0));
    return this.ctx.storage.sql
      .exec<{ summary: string }>(
        `SELECT summary FROM incidents WHERE state IN (${states.map(() => '?').join(', ')})
         ORDER BY (state = 'resolved'), opened_at DESC, id LIMIT ? OFFSET ?`,
        ...states,
        limit,
        offset,
      )
      .toArray()
      .map((row) => JSON.parse(row.summary) as IncidentSummary);
  }

  /** The fingerprint of an incident id, or `undefined` (ids are validated strictly). */
  lookup(id: string): string | undefined {
    if (!isIncidentId(id)) return undefined;
    return this.ctx.storage.sql
      .exec<{ fingerprint: string }>('SELECT fingerprint FROM incidents WHERE id = ?', id)
      .toArray()[0]?.fingerprint;
  }

  /**
   * The fingerprint of an incident the public may see, or `undefined` for an unknown id and
   * for an undisclosed private incident alike: one query, the same work and the same answer
   * for both, so a guessed id cannot be confirmed by the answer or by its timing.
   */
  publicLookup(id: string): string | undefined {
    const valid = isIncidentId(id);
    const row = this.ctx.storage.sql
      .exec<{ fingerprint: string; kind: string; disclosed: number | null }>(
        `SELECT fingerprint, kind, json_extract(summary, '$.disclosed') AS disclosed
         FROM incidents WHERE id = ?`,
        valid ? id : '',
      )
      .toArray()[0];
    const hidden =
      row === undefined ||
      !isFindingKind(row.kind) ||
      (kindSpec(row.kind).security && row.disclosed !== 1);
    return hidden ? undefined : row.fingerprint;
  }

  openIncidents(): OpenIncidentRef[] {
    return this.ctx.storage.sql
      .exec<{ id: string; fingerprint: string; kind: string; severity: string | null }>(
        `SELECT id, fingerprint, kind, json_extract(summary, '$.severity') AS severity
         FROM incidents WHERE state != 'resolved' ORDER BY opened_at`,
      )
      .toArray()
      .map((row) => ({
        id: row.id,
        fingerprint: row.fingerprint,
        kind: row.kind as FindingKind,
        ...(row.severity !== null && { severity: row.severity as Severity }),
      }));
  }

  /** Slack's replay guard: false when this request signature was already used (seen-signatures.ts). */
  claimSignature(key: string, expiresAt: number): boolean {
    return claimOnce(this.ctx.storage.sql, key, expiresAt, Date.now());
  }
}
