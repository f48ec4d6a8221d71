/**
 * The parts of a sighting that concern its subjects: what a group's members must be, how
 * they are recorded (a subject seen for the first time in an incident that had others is a
 * timeline line), and members that arrive under a sweep already recorded (the hash queue
 * reports one sweep in several batches): none of them is ever dropped.
 */
import { type Finding, type Severity } from '../core/findings';
import { invalidFindingReason, type IncidentRecord } from '../core/incident';
import { isGroupSubject } from '../core/incident-grouping';
import { raiseSeverity } from '../core/incident-lifecycle';
import { isEnforcedOnly, playbookFor } from '../core/playbooks';
import type { IncidentEngine } from './incident-engine';
import type { StoredIncident } from './incident-store';

/** Members one group sighting may carry (the whole archive has fewer artifacts). */
export const MAX_GROUP_MEMBERS = 50_000;

export function invalidObservation(
  input: Finding,
  sweepId: string,
  members: readonly Finding[] | undefined,
): string | undefined {
  const problem =
    invalidFindingReason(input) ??
    (typeof sweepId === 'string' && sweepId !== '' ? undefined : 'a sweep id is required');
  if (problem !== undefined) return problem;
  const group = isGroupSubject(input.subject);
  if (members === undefined) return group ? 'a group finding needs its members' : undefined;
  if (!group) return 'only a group finding has members';
  if (!Array.isArray(members) || members.length === 0 || members.length > MAX_GROUP_MEMBERS)
    return `a group has 1 to ${MAX_GROUP_MEMBERS} members`;
  for (const member of members) {
    const reason = invalidFindingReason(member);
    if (reason !== undefined) return `member: ${reason}`;
    if (member.kind !== input.kind) return 'every member has the group’s kind';
    if (isGroupSubject(member.subject)) return 'a member cannot be a group';
  }
  return undefined;
}

/** The record's subject fields, from the subjects table. */
export function subjectFields(engine: IncidentEngine, finding: Finding) {
  return {
    subjects: engine.subjects.names(),
    subjectCount: engine.subjects.count(),
    ...(finding.cause !== undefined && isGroupSubject(finding.subject) && { cause: finding.cause }),
  };
}

/**
 * More members of a group under a sweep already recorded: they are kept like any sighting's
 * (a timeline line, containment for them, a higher severity alerted), without counting the
 * sweep twice.
 */
export function lateMembers(
  engine: IncidentEngine,
  stored: StoredIncident,
  finding: Finding,
  members: readonly Finding[],
  sweepId: string,
  now: number,
): Severity {
  const joined = recordSubjects(engine, members, sweepId, now);
  const raised = raiseSeverity(stored.record.severity, finding.severity);
  if (joined.length === 0 && raised === undefined) return stored.record.severity;
  const next = engine.save(
    {
      ...stored,
      record: {
        ...stored.record,
        severity: raised ?? stored.record.severity,
        ...subjectFields(engine, finding),
      },
      ...(joined.length > 0 &&
        stored.record.state !== 'resolved' &&
        actsOnUrls(stored.record) && { playbookRun: stored.playbookRun + 1 }),
    },
    now,
  );
  if (next.playbookRun !== stored.playbookRun) {
    engine.playbook.start(
      next.playbookRun,
      playbookFor(next.record.kind),
      engine.context().config.containmentMode,
      now,
    );
  }
  if (raised !== undefined) announceRaise(engine, next, stored.record.severity, now);
  return next.record.severity;
}

/** Records the sighting's subjects; returns (and writes in the timeline) those that joined. */
export function recordSubjects(
  engine: IncidentEngine,
  members: readonly Finding[],
  sweepId: string,
  now: number,
): string[] {
  // An incident recorded before subjects were kept has none yet: its first are no join.
  const before = engine.subjects.count();
  const recorded = engine.subjects.record(members, sweepId);
  const joined = before === 0 ? [] : recorded;
  if (joined.length > 0) {
    engine.store.append({
      at: now,
      actor: 'system',
      type: 'observation',
      message: `${joined.length} subject(s) joined in sweep ${sweepId}: ${joined.slice(0, 20).join(', ')}${joined.length > 20 ? `, and ${joined.length - 20} more` : ''}`,
      data: { sweepId, joined },
    });
  }
  return joined;
}

/** A sighting raised the severity: said in the timeline, alerted, escalation re-armed. */
export function announceRaise(
  engine: IncidentEngine,
  next: StoredIncident,
  from: Severity,
  now: number,
): void {
  const to = next.record.severity;
  const detail = `Severity raised from ${from} to ${to} by a new observation`;
  engine.store.append({
    at: now,
    actor: 'system',
    type: 'severity-change',
    message: detail,
    data: { from, to },
  });
  if (next.record.state !== 'resolved') {
    engine.enqueue(next.record, 'severity-changed', now, { detail });
    engine.scheduleEscalation(next);
  }
}

/** Whether the kind's playbook does anything to the subjects' URLs (purge, quarantine, …). */
export function actsOnUrls(record: IncidentRecord): boolean {
  return playbookFor(record.kind).some(isEnforcedOnly);
}
