/**
 * What a sweep tells an incident it saw: a sighting (open, count, raise severity, reopen;
 * a sweep that did not see it is incident-clean-sweep.ts). Deduplicated by sweep id,
 * because the sweep job may report the same sweep twice. A grouped incident (one cause, many subjects; see
 * src/core/incident-grouping.ts) gets its members with each sighting: every subject is
 * kept, and one that joins later is written in the timeline and brought under containment.
 */
import { kindSpec, type Finding, type Severity } from '../core/findings';
import { incidentIdOf, type IncidentRecord } from '../core/incident';
import { planTransition, raiseSeverity, type IncidentRefusal } from '../core/incident-lifecycle';
import { limitEvidence, playbookFor } from '../core/playbooks';
import { err, ok, type Result } from '../core/result';
import { facts, iso, without, type IncidentEngine } from './incident-engine';
import type { AlertTally } from './incident-alert-gate';
import type { StoredIncident } from './incident-store';
import {
  actsOnUrls,
  announceRaise,
  invalidObservation,
  lateMembers,
  recordSubjects,
  subjectFields,
} from './incident-group-sightings';

export interface ObserveOptions {
  /** A group's member findings, each of the group's kind; only for a group finding. */
  readonly members?: readonly Finding[];
  /** The sweep's alert cap is reached: alerts are held back (in the timeline) instead. */
  readonly holdAlerts?: boolean;
}

/** What an observation did to its incident. */
export interface ObserveOutcome {
  readonly outcome: 'opened' | 'updated' | 'reopened';
  readonly incidentId: string;
  /** The incident's severity after the sighting. */
  readonly severity: Severity;
  readonly alerts: AlertTally;
}

export const NO_ALERTS: AlertTally = { queued: [], held: [] };

export async function observe(
  engine: IncidentEngine,
  input: Finding,
  sweepId: string,
  options: ObserveOptions = {},
): Promise<Result<ObserveOutcome, IncidentRefusal>> {
  const problem = invalidObservation(input, sweepId, options.members);
  if (problem !== undefined) return err({ kind: 'invalid-input', detail: problem });
  const finding = limitEvidence(input);
  const members = (options.members ?? [finding]).map(limitEvidence);
  const incidentId = await incidentIdOf(finding.fingerprint);
  const now = engine.now();
  const stored = engine.store.read();
  if (stored !== undefined && stored.record.fingerprint !== finding.fingerprint) {
    return err({ kind: 'invalid-input', detail: 'this incident belongs to another fingerprint' });
  }
  if (stored !== undefined && stored.lastSweepId === sweepId) {
    // A sweep reported again is a no-op, but a group may get more members under one sweep
    // id (the hash queue reports a sweep in batches): none of them may be dropped.
    if (options.members === undefined)
      return ok({
        outcome: 'updated',
        incidentId,
        severity: stored.record.severity,
        alerts: NO_ALERTS,
      });
    const late = engine.alerts.collect(sweepId, options.holdAlerts === true, () =>
      engine.storage.transactionSync(() =>
        lateMembers(engine, stored, finding, members, sweepId, now),
      ),
    );
    return ok({ outcome: 'updated', incidentId, severity: late.value, alerts: late.alerts });
  }
  const outcome =
    stored === undefined ? 'opened' : stored.record.state === 'resolved' ? 'reopened' : 'updated';
  const { value: severity, alerts } = engine.alerts.collect(
    sweepId,
    options.holdAlerts === true,
    () =>
      engine.storage.transactionSync(() =>
        stored === undefined
          ? open(engine, incidentId, finding, members, sweepId, now)
          : sighting(engine, stored, finding, members, sweepId, now),
      ),
  );
  return ok({ outcome, incidentId, severity, alerts });
}

function open(
  engine: IncidentEngine,
  id: string,
  finding: Finding,
  members: readonly Finding[],
  sweepId: string,
  now: number,
): Severity {
  const spec = kindSpec(finding.kind);
  engine.subjects.record(members, sweepId);
  const record: IncidentRecord = {
    id,
    fingerprint: finding.fingerprint,
    kind: finding.kind,
    subject: finding.subject,
    severity: finding.severity,
    state: 'open',
    title: spec.title,
    ...observedFields(finding),
    firstSeen: finding.observedAt,
    lastSeen: finding.observedAt,
    count: 1,
    openedAt: iso(now),
    reopenCount: 0,
    security: spec.security,
    disclosed: false,
    escalationLevel: 0,
    cleanStreak: 0,
    ...subjectFields(engine, finding),
  };
  appendObservation(engine, finding, sweepId, now);
  const stored = engine.save(
    { record, finding, lastSweepId: sweepId, escalationSince: now, playbookRun: 1 },
    now,
  );
  engine.store.append({
    at: now,
    actor: 'system',
    type: 'state-change',
    message: `Opened as ${record.severity}: ${record.title}`,
  });
  engine.enqueue(stored.record, 'opened', now);
  engine.scheduleEscalation(stored);
  engine.playbook.start(1, playbookFor(record.kind), engine.context().config.containmentMode, now);
  return record.severity;
}

/**
 * A sighting of a known incident: counts it, raises severity, reopens a resolved one. New
 * subjects of a group are written in the timeline; while the incident is not resolved,
 * they get a containment run of their own (a reopen starts one anyway).
 */
function sighting(
  engine: IncidentEngine,
  stored: StoredIncident,
  finding: Finding,
  members: readonly Finding[],
  sweepId: string,
  now: number,
): Severity {
  appendObservation(engine, finding, sweepId, now);
  const joined = recordSubjects(engine, members, sweepId, now);
  const raised = raiseSeverity(stored.record.severity, finding.severity);
  let next = engine.save(
    {
      ...stored,
      record: {
        ...without(stored.record, ['expected', 'observed', 'release', 'regions']),
        ...observedFields(finding),
        severity: raised ?? stored.record.severity,
        lastSeen: finding.observedAt,
        count: stored.record.count + 1,
        cleanStreak: 0,
        ...subjectFields(engine, finding),
      },
      finding,
      lastSweepId: sweepId,
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
  if (next.record.state === 'resolved') {
    const transition = planTransition(facts(next.record), 'reopen', 'system');
    if (transition.ok)
      next = engine.apply(
        next,
        transition.value,
        'system',
        now,
        'seen again after it was resolved',
      );
  }
  return next.record.severity;
}

function appendObservation(
  engine: IncidentEngine,
  finding: Finding,
  sweepId: string,
  now: number,
): void {
  engine.store.append({
    at: now,
    actor: 'system',
    type: 'observation',
    message: `Seen in sweep ${sweepId} (${finding.severity}): ${finding.summary}`,
    data: {
      sweepId,
      observedAt: finding.observedAt,
      severity: finding.severity,
      ...observedFields(finding),
    },
  });
}

/** The fields of the record that follow the latest finding. */
function observedFields(finding: Finding) {
  return {
    summary: finding.summary,
    ...(finding.expected !== undefined && { expected: finding.expected }),
    ...(finding.observed !== undefined && { observed: finding.observed }),
    ...(finding.release !== undefined && { release: finding.release }),
    ...(finding.regions !== undefined && { regions: finding.regions }),
  };
}
