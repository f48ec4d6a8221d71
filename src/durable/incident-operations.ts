/**
 * What operators do besides moving the lifecycle (incident-engine.ts `act`): change the
 * severity with a reason, add notes, disclose, and what the post-status step publishes.
 */
import { SEVERITIES, type Severity } from '../core/findings';
import { isHumanActor, parseActor, publicStatusOf, type IncidentRecord } from '../core/incident';
import { planSeverityChange, type IncidentRefusal } from '../core/incident-lifecycle';
import { err, ok, type Result } from '../core/result';
import { iso, notFound, type IncidentEngine } from './incident-engine';

export function changeSeverity(
  engine: IncidentEngine,
  actorName: string,
  severity: string,
  reason: string,
): Result<IncidentRecord, IncidentRefusal> {
  const actor = parseActor(actorName);
  if (actor === undefined) return err({ kind: 'invalid-input', detail: 'unknown actor' });
  if (!SEVERITIES.includes(severity as Severity))
    return err({ kind: 'invalid-input', detail: 'severity must be P0, P1, P2 or P3' });
  if (typeof reason !== 'string')
    return err({ kind: 'invalid-input', detail: 'a severity change needs a reason' });
  const stored = engine.store.read();
  if (stored === undefined) return notFound;
  const planned = planSeverityChange(stored.record, severity as Severity, actor, reason);
  if (!planned.ok) return planned;
  const now = engine.now();
  const from = stored.record.severity;
  return ok(
    engine.storage.transactionSync(() => {
      const next = engine.save(
        { ...stored, record: { ...stored.record, severity: planned.value } },
        now,
      );
      const detail = `Severity changed from ${from} to ${planned.value}: ${reason.trim()}`;
      engine.store.append({
        at: now,
        actor,
        type: 'severity-change',
        message: detail,
        data: { from, to: planned.value, reason: reason.trim() },
      });
      engine.enqueue(next.record, 'severity-changed', now, { detail });
      engine.scheduleEscalation(next);
      return next.record;
    }),
  );
}

export function addNote(
  engine: IncidentEngine,
  actorName: string,
  text: string,
): Result<IncidentRecord, IncidentRefusal> {
  const actor = parseActor(actorName);
  if (actor === undefined) return err({ kind: 'invalid-input', detail: 'unknown actor' });
  if (typeof text !== 'string' || text.trim() === '' || text.length > 10_000) {
    return err({ kind: 'invalid-input', detail: 'a note is 1 to 10,000 characters of text' });
  }
  const stored = engine.store.read();
  if (stored === undefined) return notFound;
  engine.store.append({ at: engine.now(), actor, type: 'note', message: text.trim() });
  return ok(stored.record);
}

export function disclose(
  engine: IncidentEngine,
  actorName: string,
): Result<IncidentRecord, IncidentRefusal> {
  const actor = parseActor(actorName);
  if (actor === undefined) return err({ kind: 'invalid-input', detail: 'unknown actor' });
  const stored = engine.store.read();
  if (stored === undefined) return notFound;
  if (!isHumanActor(actor))
    return err({
      kind: 'human-required',
      operation: 'disclose',
      reason: 'only a person discloses an incident',
    });
  if (stored.record.disclosed)
    return err({ kind: 'already', state: stored.record.state, operation: 'disclose' });
  const now = engine.now();
  return ok(
    engine.storage.transactionSync(() => {
      engine.store.append({
        at: now,
        actor,
        type: 'disclosure',
        message: 'Disclosed: details are now public',
      });
      return engine.save({ ...stored, record: { ...stored.record, disclosed: true } }, now).record;
    }),
  );
}

/** Sent once per sweep: a repeated report of the sweep finds its timeline line. */
export function alertsHeld(
  engine: IncidentEngine,
  sweepId: string,
  detail: string,
): Result<boolean, IncidentRefusal> {
  if (typeof sweepId !== 'string' || sweepId === '' || typeof detail !== 'string')
    return err({ kind: 'invalid-input', detail: 'a sweep id and a detail are required' });
  const stored = engine.store.read();
  if (stored === undefined) return notFound;
  const sent = engine.storage.sql
    .exec<{ n: number }>(
      `SELECT COUNT(*) AS n FROM timeline WHERE type = 'alert' AND json_extract(data, '$.capSweepId') = ?`,
      sweepId,
    )
    .one().n;
  if (sent > 0) return ok(false);
  const now = engine.now();
  engine.storage.transactionSync(() => {
    engine.store.append({
      at: now,
      actor: 'system',
      type: 'alert',
      message: `Alert cap of sweep ${sweepId} reached: ${detail}`,
      data: { capSweepId: sweepId },
    });
    engine.enqueue(stored.record, 'alerts-held', now, { detail });
  });
  return ok(true);
}

/** A request the caller refused before it reached the lifecycle, kept for the record. */
export function recordRefusal(
  engine: IncidentEngine,
  actorName: string,
  operation: string,
  reason: string,
): Result<IncidentRecord, IncidentRefusal> {
  const actor = parseActor(actorName);
  if (actor === undefined) return err({ kind: 'invalid-input', detail: 'unknown actor' });
  if (typeof operation !== 'string' || typeof reason !== 'string')
    return err({ kind: 'invalid-input', detail: 'an operation and a reason are required' });
  const stored = engine.store.read();
  if (stored === undefined) return notFound;
  const what = operation.slice(0, 40);
  const why = reason.trim().slice(0, 500);
  engine.store.append({
    at: engine.now(),
    actor,
    type: 'refusal',
    message: `Refused to ${what}: ${why}`,
    data: { operation: what, reason: why },
  });
  return ok(stored.record);
}

/** The post-status step: publishes the incident; the index carries it to the status page. */
export function postStatus(engine: IncidentEngine, now: number): Readonly<Record<string, unknown>> {
  const stored = engine.store.read();
  if (stored === undefined) return {};
  const next = engine.save(
    { ...stored, record: { ...stored.record, statusPostedAt: iso(now) } },
    now,
  );
  const { record } = next;
  return { publicStatus: publicStatusOf(record.state), statusPostedAt: record.statusPostedAt };
}
