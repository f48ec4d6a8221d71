/**
 * What the public may see of an incident, and what operators see. Contract: a private
 * integrity incident (a `security: true` kind) that no operator has disclosed is shown to
 * the public only as "Investigating an issue" in its area: no id, kind, URL, hash, file
 * name, release, severity or detail. The id is left out too because it is SHA-256 of the
 * kind and URL, so anyone could confirm a guessed URL against it. Everything else is
 * public apart from the raw timeline (its notes and actors are internal): the public
 * timeline is rebuilt from the lifecycle times.
 */
import { kindSpec, type Area, type FindingKind, type Severity } from '../core/findings';
import {
  publicStatusOf,
  subjectsOf,
  type IncidentRecord,
  type IncidentSubject,
  type IncidentSummary,
  type PublicStatus,
} from '../core/incident';

export const REDACTED_TITLE = 'Investigating an issue';
export const REDACTED_RESOLVED_TITLE = 'Resolved issue';

const AREA_PHRASES: Record<Area, string> = {
  index: 'the release index',
  manifests: 'release manifests',
  artifacts: 'release downloads',
  availability: 'download availability',
  cache: 'the download cache',
};

export function isRedacted(incident: Pick<IncidentSummary, 'security' | 'disclosed'>): boolean {
  return incident.security && !incident.disclosed;
}

/** An incident in a public listing, on the status page and in the feed. */
export type PublicIncident =
  | {
      readonly redacted: true;
      readonly area: Area;
      readonly status: 'investigating' | 'resolved';
      readonly title: string;
      readonly summary: string;
      readonly openedAt: string;
      readonly resolvedAt?: string;
    }
  | {
      readonly redacted: false;
      readonly id: string;
      readonly area: Area;
      readonly status: PublicStatus;
      readonly title: string;
      readonly summary: string;
      readonly kind: FindingKind;
      readonly severity: Severity;
      readonly subject: string;
      readonly openedAt: string;
      readonly acknowledgedAt?: string;
      readonly containedAt?: string;
      readonly resolvedAt?: string;
      readonly lastSeen: string;
      /** Every subject (a grouped incident's members; else the subject), up to 500. */
      readonly subjects: readonly string[];
      readonly subjectCount: number;
      readonly cause?: string;
    };

export function publicIncidentOf(incident: IncidentSummary): PublicIncident {
  const area = kindSpec(incident.kind).area;
  if (isRedacted(incident)) {
    if (incident.state === 'resolved') {
      return {
        redacted: true,
        area,
        status: 'resolved',
        title: REDACTED_RESOLVED_TITLE,
        summary: `An issue affecting ${AREA_PHRASES[area]} was resolved. Details follow once they can be disclosed.`,
        openedAt: incident.openedAt,
        ...(incident.resolvedAt !== undefined && { resolvedAt: incident.resolvedAt }),
      };
    }
    return {
      redacted: true,
      area,
      status: 'investigating',
      title: REDACTED_TITLE,
      summary: incident.publicSummary,
      openedAt: incident.openedAt,
    };
  }
  return {
    redacted: false,
    id: incident.id,
    area,
    status: publicStatusOf(incident.state),
    title: incident.title,
    summary: incident.publicSummary,
    kind: incident.kind,
    severity: incident.severity,
    subject: incident.subject,
    openedAt: incident.openedAt,
    ...(incident.acknowledgedAt !== undefined && { acknowledgedAt: incident.acknowledgedAt }),
    ...(incident.containedAt !== undefined && { containedAt: incident.containedAt }),
    ...(incident.resolvedAt !== undefined && { resolvedAt: incident.resolvedAt }),
    lastSeen: incident.lastSeen,
    subjects: incident.subjects ?? [incident.subject],
    subjectCount: incident.subjectCount ?? incident.subjects?.length ?? 1,
    ...(incident.cause !== undefined && { cause: incident.cause }),
  };
}

/** One line of the public timeline. */
export interface PublicTimelineEntry {
  readonly at: string;
  readonly status: PublicStatus;
}

/** A disclosed or non-private incident, in full as far as the public goes. */
export interface PublicIncidentDetail {
  readonly id: string;
  readonly area: Area;
  readonly kind: FindingKind;
  readonly title: string;
  readonly severity: Severity;
  readonly status: PublicStatus;
  readonly subject: string;
  readonly summary: string;
  readonly expected?: string;
  readonly observed?: string;
  readonly release?: string;
  readonly firstSeen: string;
  readonly lastSeen: string;
  readonly sightings: number;
  readonly timeline: readonly PublicTimelineEntry[];
  /** Every subject, most severe first (the full list, not only the first 500). */
  readonly subjects: readonly string[];
  readonly subjectCount: number;
  readonly cause?: string;
}

export function publicIncidentDetailOf(
  record: IncidentRecord,
  subjects?: readonly IncidentSubject[],
): PublicIncidentDetail {
  const names =
    subjects !== undefined && subjects.length > 0
      ? subjects.map((entry) => entry.subject)
      : subjectsOf(record);
  const timeline: PublicTimelineEntry[] = [{ at: record.openedAt, status: 'investigating' }];
  if (record.acknowledgedAt !== undefined) {
    timeline.push({ at: record.acknowledgedAt, status: publicStatusOf('acknowledged') });
  }
  if (record.containedAt !== undefined) {
    timeline.push({ at: record.containedAt, status: publicStatusOf('contained') });
  }
  if (record.resolvedAt !== undefined && record.state === 'resolved') {
    timeline.push({ at: record.resolvedAt, status: 'resolved' });
  }
  // Times from before a reopen belong to the previous cycle.
  const current = timeline.filter((entry) => entry.at >= record.openedAt);
  current.sort((a, b) => a.at.localeCompare(b.at));
  return {
    id: record.id,
    area: kindSpec(record.kind).area,
    kind: record.kind,
    title: record.title,
    severity: record.severity,
    status: publicStatusOf(record.state),
    subject: record.subject,
    summary: record.summary,
    ...(record.expected !== undefined && { expected: record.expected }),
    ...(record.observed !== undefined && { observed: record.observed }),
    ...(record.release !== undefined && { release: record.release }),
    firstSeen: record.firstSeen,
    lastSeen: record.lastSeen,
    sightings: record.count,
    timeline: current,
    subjects: names,
    subjectCount: Math.max(names.length, record.subjectCount ?? 0),
    ...(record.cause !== undefined && { cause: record.cause }),
  };
}
