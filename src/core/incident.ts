/**
 * Incidents: the shared vocabulary of the incident store, its API and its alerts.
 *
 * Contract: one incident per finding fingerprint. Its id is the first 32 hex digits of
 * SHA-256(fingerprint): URL-safe, stable, and strictly validated before any lookup. Actors
 * are typed strings so the timeline says who did what (`system`, `channel:<name>`,
 * `operator:<name>`, `slack:<user>`). Nothing here touches storage or the clock.
 */
import { sha256Hex } from './digest';
import {
  fingerprintOf,
  isFindingKind,
  kindSpec,
  SEVERITIES,
  type Area,
  type FindingKind,
  type Severity,
} from './findings';

/** Lifecycle states, in the order an incident normally moves through them. */
export type IncidentState = 'open' | 'acknowledged' | 'contained' | 'resolved';

export const INCIDENT_STATES: readonly IncidentState[] = [
  'open',
  'acknowledged',
  'contained',
  'resolved',
];

/** Who did something: the monitor itself, an alert channel, or a human. */
export type Actor = 'system' | `channel:${string}` | `operator:${string}` | `slack:${string}`;

const ACTOR_PATTERN = /^(?:system|(?:channel|operator|slack):[A-Za-z0-9._@+-]{1,100})$/;

/** Parses an actor string; names are restricted so a timeline line cannot be forged. */
export function parseActor(value: unknown): Actor | undefined {
  return typeof value === 'string' && ACTOR_PATTERN.test(value) ? (value as Actor) : undefined;
}

/** Humans acknowledge and resolve integrity incidents; the system and channels do not. */
export function isHumanActor(actor: Actor): boolean {
  return actor.startsWith('operator:') || actor.startsWith('slack:');
}

export const INCIDENT_ID_PATTERN = /^[0-9a-f]{32}$/;

export function isIncidentId(value: unknown): value is string {
  return typeof value === 'string' && INCIDENT_ID_PATTERN.test(value);
}

/** The incident id of a fingerprint: first 32 hex digits of its SHA-256. */
export async function incidentIdOf(fingerprint: string): Promise<string> {
  return (await sha256Hex(fingerprint)).slice(0, 32);
}

/** The state of an incident as the API, alerts and the post-mortem see it. */
export interface IncidentRecord {
  readonly id: string;
  readonly fingerprint: string;
  readonly kind: FindingKind;
  readonly subject: string;
  readonly severity: Severity;
  readonly state: IncidentState;
  /** The finding kind's title. */
  readonly title: string;
  /** The latest finding's summary. */
  readonly summary: string;
  readonly expected?: string;
  readonly observed?: string;
  readonly release?: string;
  readonly regions?: readonly string[];
  /** ISO times of the first and latest sighting (the sweeps' times). */
  readonly firstSeen: string;
  readonly lastSeen: string;
  /** Sightings, one per sweep. */
  readonly count: number;
  /** ISO times of lifecycle changes (the latest of each, after a reopen). */
  readonly openedAt: string;
  readonly acknowledgedAt?: string;
  readonly acknowledgedBy?: Actor;
  readonly containedAt?: string;
  readonly resolvedAt?: string;
  readonly resolvedBy?: Actor;
  readonly reopenCount: number;
  /** Integrity kind whose details stay private until disclosed. */
  readonly security: boolean;
  readonly disclosed: boolean;
  /** Escalation re-notifications sent since the incident (re)opened. */
  readonly escalationLevel: number;
  /** Consecutive sweeps that checked this kind and did not see the finding. */
  readonly cleanStreak: number;
  /** When the post-status step published the incident on the status page. */
  readonly statusPostedAt?: string;
  /**
   * Every subject of the incident, most severe first (a group's members; a single
   * incident's own subject), up to `LISTED_SUBJECTS_LIMIT`; `subjectCount` counts them all.
   * Absent only on incidents recorded before subjects were kept.
   */
  readonly subjects?: readonly string[];
  readonly subjectCount?: number;
  /** The cause a grouped incident's subjects share (src/core/incident-grouping.ts). */
  readonly cause?: string;
}

/** Subjects a record, an index row and an alert list; the incident's detail lists all. */
export const LISTED_SUBJECTS_LIMIT = 500;

/** One subject of an incident, as its detail lists it. */
export interface IncidentSubject {
  readonly subject: string;
  /** The most severe sighting of this subject. */
  readonly severity: Severity;
  readonly firstSeen: string;
  readonly lastSeen: string;
  /** Sweeps that saw this subject. */
  readonly count: number;
  /** The latest sighting's summary, expected and observed values. */
  readonly summary: string;
  readonly expected?: string;
  readonly observed?: string;
  readonly release?: string;
}

/** The subjects of a record, for records stored before subjects were kept too. */
export function subjectsOf(
  record: Pick<IncidentRecord, 'subject' | 'subjects'>,
): readonly string[] {
  return record.subjects ?? [record.subject];
}

/**
 * Plain JSON, typed so that it crosses Durable Object RPC (which refuses `unknown`).
 * Nesting is spelled out to a fixed depth because a recursive type sends type mappers
 * (RPC's, Hono's `c.json`) into infinite instantiation.
 */
type Json0 = string | number | boolean | null;
type Json1 = Json0 | readonly Json0[] | { readonly [key: string]: Json0 };
type Json2 = Json0 | readonly Json1[] | { readonly [key: string]: Json1 };
type Json3 = Json0 | readonly Json2[] | { readonly [key: string]: Json2 };
type Json4 = Json0 | readonly Json3[] | { readonly [key: string]: Json3 };
export type JsonValue = Json0 | readonly Json4[] | { readonly [key: string]: Json4 };
export type JsonObject = { readonly [key: string]: JsonValue };

/** Kinds of timeline entries. */
export type TimelineEntryType =
  | 'observation'
  | 'state-change'
  | 'severity-change'
  | 'escalation'
  | 'alert'
  | 'playbook'
  | 'quarantine'
  | 'note'
  | 'disclosure'
  | 'clean-sweep'
  | 'error'
  | 'refusal';

/** One append-only line of the incident's timeline. */
export interface TimelineEntry {
  readonly seq: number;
  readonly at: string;
  readonly actor: Actor;
  readonly type: TimelineEntryType;
  readonly message: string;
  readonly data?: JsonObject;
}

/** A containment step as the API shows it. */
export interface PlaybookStepView {
  readonly run: number;
  readonly position: number;
  readonly step: string;
  readonly status: 'pending' | 'done' | 'failed' | 'cancelled';
  readonly attempts: number;
  readonly result?: JsonObject;
  readonly updatedAt?: string;
}

/** An outbox row as the API shows it (without the message body). */
export interface OutboxView {
  readonly id: number;
  readonly channel: string;
  readonly event: string;
  readonly status: 'pending' | 'delivered' | 'failed' | 'disabled';
  readonly attempts: number;
  readonly nextAt?: string;
  readonly lastDetail?: string;
}

/** Everything about one incident: what `IncidentObject.get()` returns. */
export interface IncidentDetail {
  readonly incident: IncidentRecord;
  readonly timeline: readonly TimelineEntry[];
  readonly playbook: readonly PlaybookStepView[];
  readonly outbox: readonly OutboxView[];
  /** R2 keys of the evidence captured for this incident. */
  readonly evidenceKeys: readonly string[];
  /** `dry-run` or `enforce`, as configured now. */
  readonly containmentMode: string;
  /** Every subject, most severe first, then by name (always set by `IncidentObject.get()`). */
  readonly subjects?: readonly IncidentSubject[];
}

/** What the public status page says, in the words of the status templates. */
export type PublicStatus = 'investigating' | 'identified' | 'monitoring' | 'resolved';

export function publicStatusOf(state: IncidentState): PublicStatus {
  switch (state) {
    case 'open':
      return 'investigating';
    case 'acknowledged':
      return 'identified';
    case 'contained':
      return 'monitoring';
    case 'resolved':
      return 'resolved';
  }
}

const AREA_NAMES: Record<Area, string> = {
  index: 'the release index',
  manifests: 'release manifests',
  artifacts: 'release downloads',
  availability: 'download availability',
  cache: 'the download cache',
};

/**
 * The one line the public may read. A private incident that was not disclosed says only
 * "Investigating an issue" and its area: no URL, hash, release or detail.
 */
export function publicSummaryOf(
  record: Pick<IncidentRecord, 'kind' | 'security' | 'disclosed' | 'summary'>,
): string {
  const area = AREA_NAMES[kindSpec(record.kind).area];
  if (record.security && !record.disclosed) return `Investigating an issue affecting ${area}.`;
  return record.summary;
}

/** One row of the incident index: what a listing shows. */
export interface IncidentSummary {
  readonly id: string;
  readonly fingerprint: string;
  readonly kind: FindingKind;
  readonly severity: Severity;
  readonly state: IncidentState;
  readonly subject: string;
  readonly title: string;
  readonly openedAt: string;
  readonly acknowledgedAt?: string;
  readonly containedAt?: string;
  readonly resolvedAt?: string;
  readonly lastSeen: string;
  readonly security: boolean;
  readonly disclosed: boolean;
  /** Safe for the public page (see `publicSummaryOf`). */
  readonly publicSummary: string;
  /** `undefined` until the post-status step published the incident. */
  readonly publicStatus?: PublicStatus;
  /** Increases with every change, so the index never takes an older summary. */
  readonly version: number;
  /**
   * See `IncidentRecord.subjects`: a grouped incident is found by any of its subjects.
   * Always set by `summarizeIncident`; optional for rows written before.
   */
  readonly subjects?: readonly string[];
  readonly subjectCount?: number;
  readonly cause?: string;
}

export function summarizeIncident(record: IncidentRecord, version: number): IncidentSummary {
  return {
    id: record.id,
    fingerprint: record.fingerprint,
    kind: record.kind,
    severity: record.severity,
    state: record.state,
    subject: record.subject,
    title: record.title,
    openedAt: record.openedAt,
    ...(record.acknowledgedAt !== undefined && { acknowledgedAt: record.acknowledgedAt }),
    ...(record.containedAt !== undefined && { containedAt: record.containedAt }),
    ...(record.resolvedAt !== undefined && { resolvedAt: record.resolvedAt }),
    lastSeen: record.lastSeen,
    security: record.security,
    disclosed: record.disclosed,
    publicSummary: publicSummaryOf(record),
    ...(record.statusPostedAt !== undefined && { publicStatus: publicStatusOf(record.state) }),
    version,
    subjects: subjectsOf(record),
    subjectCount: record.subjectCount ?? subjectsOf(record).length,
    ...(record.cause !== undefined && { cause: record.cause }),
  };
}

/**
 * Why a value that arrived over RPC is not a finding the incident store accepts, or
 * `undefined` when it is one. The fingerprint must be the kind's and subject's, so a
 * finding cannot be filed under another incident.
 */
export function invalidFindingReason(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null) return 'a finding must be an object';
  const f = value as Record<string, unknown>;
  if (typeof f['kind'] !== 'string' || !isFindingKind(f['kind'])) return 'unknown finding kind';
  if (typeof f['severity'] !== 'string' || !SEVERITIES.includes(f['severity'] as Severity))
    return 'unknown severity';
  if (typeof f['subject'] !== 'string' || f['subject'] === '') return 'a finding needs a subject';
  if (f['fingerprint'] !== fingerprintOf(f['kind'], f['subject']))
    return 'the fingerprint is not kind + subject';
  if (typeof f['summary'] !== 'string') return 'a finding needs a summary';
  if (typeof f['observedAt'] !== 'string' || Number.isNaN(Date.parse(f['observedAt'])))
    return 'observedAt must be an ISO time';
  if (typeof f['evidence'] !== 'object' || f['evidence'] === null)
    return 'evidence must be an object';
  return undefined;
}
