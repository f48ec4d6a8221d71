/**
 * What a sweep tells an incident: a sighting (open, count, raise severity, reopen) or a
 * clean sweep (count towards auto-resolve). Deduplicated by sweep id, because the sweep
 * job may report the same sweep twice.
 */
import { kindSpec, type Finding } from '../core/findings';
import { incidentIdOf, invalidFindingReason, type IncidentRecord } from '../core/incident';
import {
  planCleanSweep,
  planTransition,
  raiseSeverity,
  type IncidentRefusal,
} from '../core/incident-lifecycle';
import { limitEvidence, playbookFor } from '../core/playbooks';
import { err, ok, type Result } from '../core/result';
import { facts, iso, notFound, without, type IncidentEngine } from './incident-engine';
import type { StoredIncident } from './incident-store';

/** What an observation did to its incident. */
export interface ObserveOutcome {
  readonly outcome: 'opened' | 'updated' | 'reopened';
  readonly incidentId: string;
}

/** What a clean sweep did: resolved it, counted towards resolving, or nothing (resolved). */
export interface CleanSweepOutcome {
  readonly decision: 'resolved' | 'counted' | 'ignored';
  readonly cleanStreak: number;
}

export async function observe(
  engine: IncidentEngine,
  input: Finding,
  sweepId: string,
): Promise<Result<ObserveOutcome, IncidentRefusal>> {
  const problem =
    invalidFindingReason(input) ??
    (typeof sweepId === 'string' && sweepId !== '' ? undefined : 'a sweep id is required');
  if (problem !== undefined) return err({ kind: 'invalid-input', detail: problem });
  const finding = limitEvidence(input);
  const incidentId = await incidentIdOf(finding.fingerprint);
  const now = engine.now();
  const stored = engine.store.read();
  if (stored !== undefined && stored.record.fingerprint !== finding.fingerprint) {
    return err({ kind: 'invalid-input', detail: 'this incident belongs to another fingerprint' });
  }
  if (stored === undefined) {
    engine.storage.transactionSync(() => open(engine, incidentId, finding, sweepId, now));
    return ok({ outcome: 'opened', incidentId });
  }
  if (stored.lastSweepId === sweepId) return ok({ outcome: 'updated', incidentId });
  const outcome = stored.record.state === 'resolved' ? 'reopened' : 'updated';
  engine.storage.transactionSync(() => sighting(engine, stored, finding, sweepId, now));
  return ok({ outcome, incidentId });
}

function open(
  engine: IncidentEngine,
  id: string,
  finding: Finding,
  sweepId: string,
  now: number,
): void {
  const spec = kindSpec(finding.kind);
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
}

/** A sighting of a known incident: counts it, raises severity, reopens a resolved one. */
function sighting(
  engine: IncidentEngine,
  stored: StoredIncident,
  finding: Finding,
  sweepId: string,
  now: number,
): void {
  appendObservation(engine, finding, sweepId, now);
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
      },
      finding,
      lastSweepId: sweepId,
    },
    now,
  );
  if (raised !== undefined) {
    const detail = `Severity raised from ${stored.record.severity} to ${raised} by a new observation`;
    engine.store.append({
      at: now,
      actor: 'system',
      type: 'severity-change',
      message: detail,
      data: { from: stored.record.severity, to: raised },
    });
    if (next.record.state !== 'resolved') {
      engine.enqueue(next.record, 'severity-changed', now, { detail });
      engine.scheduleEscalation(next);
    }
  }
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
}

export function cleanSweep(
  engine: IncidentEngine,
  sweepId: string,
): Result<CleanSweepOutcome, IncidentRefusal> {
  const stored = engine.store.read();
  if (stored === undefined) return notFound;
  const { record } = stored;
  if (record.state === 'resolved')
    return ok({ decision: 'ignored', cleanStreak: record.cleanStreak });
  if (stored.lastCleanSweepId === sweepId)
    return ok({ decision: 'counted', cleanStreak: record.cleanStreak });
  const now = engine.now();
  const threshold = engine.context().config.autoResolveCleanSweeps;
  const streak = record.cleanStreak + 1;
  const decision = planCleanSweep(record, streak, threshold);
  engine.storage.transactionSync(() => {
    const next = engine.save(
      { ...stored, record: { ...record, cleanStreak: streak }, lastCleanSweepId: sweepId },
      now,
    );
    engine.store.append({
      at: now,
      actor: 'system',
      type: 'clean-sweep',
      message: `Not seen in sweep ${sweepId} (${streak} clean in a row${decision === 'count' ? '' : `, threshold ${threshold}`})`,
      data: { sweepId, cleanStreak: streak },
    });
    if (decision === 'resolve') {
      const transition = planTransition(facts(next.record), 'resolve', 'system');
      if (transition.ok)
        engine.apply(
          next,
          transition.value,
          'system',
          now,
          `auto-resolved after ${streak} consecutive clean sweeps`,
        );
    }
  });
  return ok({ decision: decision === 'resolve' ? 'resolved' : 'counted', cleanStreak: streak });
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
