/**
 * One incident per cause: findings of one kind that share a cause in one sweep become one
 * incident that lists its subjects, the way Alertmanager's `group_by` and PagerDuty's alert
 * grouping do. 56 artifacts behind one origin fallback, one wrong Cache-Control on every
 * response, one leaked header everywhere: one incident each, not dozens.
 *
 * Contract: pure. A finding's cause is its own `cause` when the check set one, else the
 * kind's default below (the observed Cache-Control and response class, the leaked header
 * names, the changed metadata fields, the release of a release-wide problem, …). A group's
 * identity is `kind + "cause: " + cause`, so it does not depend on how many subjects a sweep
 * saw, and it is stable across sweeps. A finding alone keeps its plain `kind + subject`
 * identity, and so does a finding whose own incident is still open. A later sighting of a
 * subject whose group is open joins that group. Nothing is lowered or dropped: the group
 * has its most severe member's severity and carries every member.
 */
import {
  fingerprintOf,
  mostSevere,
  severityRank,
  type Finding,
  type FindingKind,
} from './findings';
import { EVIDENCE_FIELDS } from './playbooks';

/** Group subjects start with this; a dist URL never does. */
export const GROUP_SUBJECT_PREFIX = 'cause: ';

/** Causes are cut to this many characters, so a site cannot make fingerprints huge. */
export const MAX_CAUSE_LENGTH = 200;

/** Members a group finding describes in its own evidence (all are sent alongside). */
const MEMBER_SUMMARY_LIMIT = 1000;

/** What the sweep hands one incident: a finding alone, or a group and its members. */
export interface IncidentReport {
  /** The incident's finding: the member itself, or the group's. */
  readonly finding: Finding;
  /** Present for a group: every member finding of this sweep, each subject once. */
  readonly members?: readonly Finding[];
}

export function isGroupSubject(subject: string): boolean {
  return subject.startsWith(GROUP_SUBJECT_PREFIX);
}

export function groupSubjectOf(cause: string): string {
  return `${GROUP_SUBJECT_PREFIX}${cause}`;
}

/** The fingerprint of the group a finding would join, or `undefined` when it has no cause. */
export function groupFingerprintOf(finding: Finding): string | undefined {
  const cause = causeOf(finding);
  return cause === undefined ? undefined : fingerprintOf(finding.kind, groupSubjectOf(cause));
}

/** Text from the site, flattened: no control characters, single spaces, bounded. */
function clean(value: string): string {
  const flat = value.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]+/g, ' ');
  return flat.replace(/\s+/g, ' ').trim().slice(0, MAX_CAUSE_LENGTH);
}

function strings(value: unknown): string[] | undefined {
  if (!Array.isArray(value) || value.length === 0) return undefined;
  const items = value.filter((item): item is string => typeof item === 'string');
  return items.length === value.length ? [...new Set(items)].sort() : undefined;
}

/** `2xx`, `3xx`, `304`, `4xx`…: the response classes the release worker gives policies to. */
function responseClassOf(status: unknown): string | undefined {
  if (typeof status !== 'number' || !Number.isInteger(status)) return undefined;
  if (status === 206 || status === 304) return String(status);
  return `${Math.floor(status / 100)}xx`;
}

function hostOf(value: string | undefined): string | undefined {
  if (value === undefined || !URL.canParse(value)) return undefined;
  return new URL(value).host;
}

type CauseRule = (finding: Finding) => string | undefined;

const byObserved: CauseRule = (finding) =>
  finding.observed === undefined || finding.observed.trim() === ''
    ? undefined
    : `observed ${finding.observed}`;

const byRelease: CauseRule = (finding) =>
  finding.release === undefined ? undefined : `release ${finding.release}`;

/**
 * The default cause of each kind. A kind with one subject per site (availability, the index)
 * has nothing to group; any other kind, including kinds added later, groups by what was
 * observed when nothing better is known.
 */
const CAUSES: Partial<Record<FindingKind, CauseRule>> = {
  'cache-policy-violation': (finding) => {
    const policy = finding.evidence['policy'];
    const responseClass = responseClassOf(finding.evidence['status']);
    const which = [typeof policy === 'string' ? policy : undefined, responseClass]
      .filter((part) => part !== undefined)
      .join(' ');
    return `Cache-Control ${(finding.observed ?? '(missing)').toLowerCase()} on ${which || 'responses'}`;
  },
  'header-disclosure': (finding) => {
    const names = strings(finding.evidence['headers']);
    return names ? `headers ${names.join(', ')}` : byObserved(finding);
  },
  'artifact-metadata-changed': (finding) => {
    const changed = strings(finding.evidence['changed']);
    return changed ? `changed ${changed.join(', ')}` : byObserved(finding);
  },
  'cache-poisoned': (finding) => {
    const differences = strings(finding.evidence['differences']);
    if (differences) return `differences ${differences.join(', ')}`;
    const regions = strings(finding.regions);
    return finding.evidence['regional'] === true && regions
      ? `regions ${regions.join(', ')}`
      : undefined;
  },
  'artifact-hash-mismatch': byRelease,
  'artifact-unverifiable': byRelease,
  'artifact-missing': (finding) => {
    const release = byRelease(finding);
    return release === undefined ? undefined : `${release} ${finding.observed ?? 'not served'}`;
  },
  'foreign-redirect': (finding) => {
    const host = hostOf(finding.observed);
    return host === undefined ? undefined : `redirects to ${host}`;
  },
  'origin-unavailable': () => undefined,
  'latency-degraded': () => undefined,
  'index-invalid': () => undefined,
  'index-rollback': () => undefined,
  'release-keys-unavailable': () => undefined,
};

/** The cause a finding shares with others of its kind, or `undefined` when it stands alone. */
export function causeOf(finding: Finding): string | undefined {
  if (isGroupSubject(finding.subject)) return undefined;
  const raw = finding.cause ?? (CAUSES[finding.kind] ?? byObserved)(finding);
  if (raw === undefined) return undefined;
  const cause = clean(raw);
  return cause === '' ? undefined : cause;
}

/**
 * Plans one sweep's reports. `open` holds the fingerprints of incidents that are not
 * resolved: a finding whose own incident is open keeps going there, and a finding whose
 * group is open joins it even when it is alone this sweep. Two or more findings of one kind
 * and cause that have no incident of their own form (or feed) their group.
 */
export function planIncidentReports(
  findings: readonly Finding[],
  open: ReadonlySet<string>,
): IncidentReport[] {
  const reports: IncidentReport[] = [];
  const buckets = new Map<string, { cause: string; members: Finding[] }>();
  for (const finding of dedupeByFingerprint(findings)) {
    const cause = open.has(finding.fingerprint) ? undefined : causeOf(finding);
    if (cause === undefined) {
      reports.push({ finding });
      continue;
    }
    const key = fingerprintOf(finding.kind, groupSubjectOf(cause));
    const bucket = buckets.get(key) ?? { cause, members: [] };
    bucket.members.push(finding);
    buckets.set(key, bucket);
  }
  for (const [fingerprint, { cause, members }] of buckets) {
    const [first] = members;
    if (first === undefined) continue;
    if (members.length === 1 && !open.has(fingerprint)) reports.push({ finding: first });
    else reports.push({ finding: groupFinding(cause, members), members });
  }
  return reports;
}

/** Two sightings of one fingerprint in one sweep are one: the more severe is kept. */
export function dedupeByFingerprint(findings: readonly Finding[]): Finding[] {
  const byFingerprint = new Map<string, Finding>();
  for (const finding of findings) {
    const seen = byFingerprint.get(finding.fingerprint);
    if (seen === undefined || mostSevere(seen.severity, finding.severity) !== seen.severity) {
      byFingerprint.set(finding.fingerprint, finding);
    }
  }
  return [...byFingerprint.values()];
}

/** The value every member agrees on, or `undefined`. */
function shared(
  members: readonly Finding[],
  field: 'expected' | 'observed' | 'release',
): string | undefined {
  const values = new Set(members.map((member) => member[field]));
  const [only] = values;
  return values.size === 1 ? only : undefined;
}

/**
 * The finding of a group: the kind, the cause as subject, the most severe member's severity,
 * and every member's subject (also as containment URLs, so the playbook covers them all).
 */
export function groupFinding(cause: string, members: readonly Finding[]): Finding {
  const sorted = [...members].sort(
    (a, b) =>
      severityRank(a.severity) - severityRank(b.severity) || a.subject.localeCompare(b.subject),
  );
  const first = sorted[0];
  if (first === undefined) throw new RangeError('a group needs at least one member');
  const subject = groupSubjectOf(cause);
  const subjects = sorted.map((member) => member.subject);
  const severity = sorted.reduce(
    (worst, member) => mostSevere(worst, member.severity),
    first.severity,
  );
  const expected = shared(sorted, 'expected');
  const observed = shared(sorted, 'observed');
  const release = shared(sorted, 'release');
  const regions = [...new Set(sorted.flatMap((member) => member.regions ?? []))].sort();
  const observedAt =
    sorted
      .map((member) => member.observedAt)
      .sort()
      .at(-1) ?? first.observedAt;
  const named = subjects.slice(0, 3).join(', ');
  const more = subjects.length > 3 ? ` and ${subjects.length - 3} more` : '';
  return {
    kind: first.kind,
    severity,
    subject,
    fingerprint: fingerprintOf(first.kind, subject),
    summary: `${subjects.length} subject(s) share one cause (${cause}): ${named}${more}. ${first.summary}`,
    ...(expected !== undefined && { expected }),
    ...(observed !== undefined && { observed }),
    ...(release !== undefined && { release }),
    ...(regions.length > 0 && { regions }),
    evidence: {
      cause,
      subjects,
      [EVIDENCE_FIELDS.urls]: subjects,
      members: sorted.slice(0, MEMBER_SUMMARY_LIMIT).map(memberSummaryOf),
    },
    observedAt,
    cause,
  };
}

/** What a group keeps of each member besides its stored finding. */
export function memberSummaryOf(member: Finding) {
  return {
    subject: member.subject,
    severity: member.severity,
    summary: member.summary,
    ...(member.expected !== undefined && { expected: member.expected }),
    ...(member.observed !== undefined && { observed: member.observed }),
    ...(member.release !== undefined && { release: member.release }),
  };
}
