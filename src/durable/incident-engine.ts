/**
 * The core of one incident: its storage parts, lifecycle transitions and their effects
 * (timeline, alerts, escalation timer, playbook runs, index sync), and what `get()` and
 * `postmortem()` read. Sightings and operator actions build on it (incident-sightings.ts,
 * incident-operations.ts).
 *
 * Each operation reads the row, asks the pure lifecycle whether the change is allowed, and
 * writes the row, its timeline lines, the outbox rows and the timers in one synchronous
 * transaction. Nothing is sent from here: the alarm (incident-tasks.ts) sends.
 */
import type { AlertChannel, AlertEvent } from '../core/alerts';
import { escalationDueAt, escalationTargetsFor } from '../core/escalation';
import { RESPONSE_MINUTES } from '../core/findings';
import { parseActor, type Actor, type IncidentDetail, type IncidentRecord } from '../core/incident';
import type { IncidentConfig } from '../core/incident-config';
import {
  planTransition,
  type IncidentRefusal,
  type LifecycleAction,
  type Transition,
} from '../core/incident-lifecycle';
import { playbookFor } from '../core/playbooks';
import { renderPostmortem } from '../core/postmortem';
import { err, ok, type Result } from '../core/result';
import type { MonitorEnv } from '../env';
import type { IncidentDependencies } from './incident-dependencies';
import { IncidentOutbox, type EnqueueOptions } from './incident-outbox';
import { PlaybookRunner } from './incident-playbook';
import { IncidentScheduler } from './incident-scheduler';
import { IncidentStore, type StoredIncident } from './incident-store';
import { AlertGate } from './incident-alert-gate';
import { IncidentSubjects } from './incident-subjects';

export interface EngineContext {
  readonly env: MonitorEnv;
  readonly deps: IncidentDependencies;
  readonly config: IncidentConfig;
}

export const iso = (ms: number) => new Date(ms).toISOString();
export const notFound = err({ kind: 'not-found' as const });

export class IncidentEngine {
  readonly store: IncidentStore;
  readonly scheduler: IncidentScheduler;
  readonly outbox: IncidentOutbox;
  readonly playbook: PlaybookRunner;
  readonly subjects: IncidentSubjects;
  readonly alerts: AlertGate;

  constructor(
    readonly storage: DurableObjectStorage,
    readonly context: () => EngineContext,
  ) {
    this.store = new IncidentStore(storage.sql);
    this.scheduler = new IncidentScheduler(storage);
    this.outbox = new IncidentOutbox(storage, this.store, this.scheduler);
    this.subjects = new IncidentSubjects(storage.sql);
    this.playbook = new PlaybookRunner(storage, this.store, this.scheduler, this.subjects);
    this.alerts = new AlertGate(this.store);
  }

  now(): number {
    return this.context().deps.now();
  }

  /** acknowledge / contain / resolve, asked for by `actorName`. */
  act(
    actorName: string,
    action: LifecycleAction,
    note?: string,
  ): Result<IncidentRecord, IncidentRefusal> {
    const actor = parseActor(actorName);
    if (actor === undefined) return err({ kind: 'invalid-input', detail: 'unknown actor' });
    if (note !== undefined && typeof note !== 'string')
      return err({ kind: 'invalid-input', detail: 'a note must be text' });
    const stored = this.store.read();
    if (stored === undefined) return notFound;
    const transition = planTransition(facts(stored.record), action, actor);
    if (!transition.ok) return transition;
    const now = this.now();
    return ok(
      this.storage.transactionSync(
        () => this.apply(stored, transition.value, actor, now, note?.trim() || undefined).record,
      ),
    );
  }

  /** Applies an allowed transition and its effects; returns the new row. */
  apply(
    stored: StoredIncident,
    transition: Transition,
    actor: Actor,
    now: number,
    note?: string,
  ): StoredIncident {
    const at = iso(now);
    let record: IncidentRecord = { ...stored.record, state: transition.to };
    if (transition.acknowledges) record = { ...record, acknowledgedAt: at, acknowledgedBy: actor };
    if (transition.to === 'contained') record = { ...record, containedAt: at };
    if (transition.to === 'resolved') record = { ...record, resolvedAt: at, resolvedBy: actor };
    const reopened = transition.event === 'reopened';
    if (reopened) {
      record = {
        ...without(record, [
          'acknowledgedAt',
          'acknowledgedBy',
          'containedAt',
          'resolvedAt',
          'resolvedBy',
        ]),
        openedAt: at,
        reopenCount: record.reopenCount + 1,
        escalationLevel: 0,
        cleanStreak: 0,
      };
    }
    const next = this.save(
      {
        ...stored,
        record,
        ...(reopened && { escalationSince: now, playbookRun: stored.playbookRun + 1 }),
      },
      now,
    );
    this.store.append({
      at: now,
      actor,
      type: 'state-change',
      message: `${reopened ? 'Reopened' : `${transition.from} → ${transition.to}`}${note ? `: ${note}` : ''}`,
      data: { from: transition.from, to: transition.to, ...(note !== undefined && { note }) },
    });
    if (transition.acknowledges || transition.to === 'resolved')
      this.scheduler.cancel({ kind: 'escalate' });
    if (transition.to === 'resolved') {
      this.playbook.cancelPending(now);
      if (this.playbook.quarantinedUrls().length > 0)
        this.scheduler.schedule({ kind: 'unquarantine' }, now);
    }
    if (reopened) {
      this.scheduleEscalation(next);
      this.playbook.start(
        next.playbookRun,
        playbookFor(record.kind),
        this.context().config.containmentMode,
        now,
      );
    }
    this.enqueue(next.record, transition.event, now, note !== undefined ? { detail: note } : {});
    return next;
  }

  /**
   * Re-notifies now: the escalation timer, or a containment step that failed. Level n goes
   * to the n-th escalation target; the timer is re-armed while nobody has acknowledged.
   */
  escalate(stored: StoredIncident, now: number, detail: string): StoredIncident {
    const level = stored.record.escalationLevel + 1;
    const only = escalationTargetsFor(this.context().config.escalationTargets, level);
    const next = this.save(
      { ...stored, record: { ...stored.record, escalationLevel: level }, escalationSince: now },
      now,
    );
    this.store.append({
      at: now,
      actor: 'system',
      type: 'escalation',
      message: `Escalation level ${level}: ${detail}`,
      data: { level, ...(only && { targets: only }) },
    });
    this.enqueue(next.record, 'escalated', now, {
      escalationLevel: level,
      detail,
      ...(only && { only }),
    });
    this.scheduleEscalation(next);
    return next;
  }

  /** The escalation timer fired. */
  escalateOnTimer(now: number): void {
    const stored = this.store.read();
    if (
      stored === undefined ||
      stored.record.state === 'resolved' ||
      stored.record.acknowledgedAt !== undefined
    ) {
      this.scheduler.cancel({ kind: 'escalate' });
      return;
    }
    const { severity, openedAt } = stored.record;
    const minutes = Math.round((now - Date.parse(openedAt)) / 60_000);
    this.storage.transactionSync(() =>
      this.escalate(
        stored,
        now,
        `not acknowledged ${minutes} min after it opened (${severity} response time: ${RESPONSE_MINUTES[severity]} min)`,
      ),
    );
  }

  /** Arms (or re-arms, after a severity change) the escalation timer while unacknowledged. */
  scheduleEscalation(stored: StoredIncident): void {
    const { record } = stored;
    if (record.state === 'resolved' || record.acknowledgedAt !== undefined) {
      this.scheduler.cancel({ kind: 'escalate' });
      return;
    }
    const repeat = this.context().config.escalationRepeatMinutes;
    this.scheduler.schedule(
      { kind: 'escalate' },
      escalationDueAt({
        since: stored.escalationSince,
        severity: record.severity,
        level: record.escalationLevel,
        ...(repeat !== undefined && { repeatMinutes: repeat }),
      }),
    );
  }

  enqueue(
    record: IncidentRecord,
    event: AlertEvent,
    now: number,
    options: EnqueueOptions = {},
  ): void {
    // The sweep's alert cap may hold it back (into the timeline).
    if (this.alerts.holds(event, now, options.detail)) return;
    const { config } = this.context();
    this.outbox.enqueue(
      record,
      event,
      { channels: this.channels(now), links: config },
      now,
      options,
    );
  }

  /**
   * The alert channels now. A factory that throws (a broken secret) must not stop the
   * incident from being recorded: it is logged in the timeline and counts as no channel.
   */
  channels(now: number): readonly AlertChannel[] {
    const { env, deps } = this.context();
    try {
      return deps.channels(env);
    } catch (error) {
      this.store.append({
        at: now,
        actor: 'system',
        type: 'error',
        message: `Alert channels could not be built: ${error instanceof Error ? error.message : String(error)}`,
      });
      return [];
    }
  }

  /** Writes the row and marks the index stale (synced right after, or by the alarm). */
  save(next: Omit<StoredIncident, 'version'>, now: number): StoredIncident {
    const saved = this.store.write(next);
    this.scheduler.schedule({ kind: 'sync-index' }, now);
    return saved;
  }

  detail(): Result<IncidentDetail, IncidentRefusal> {
    const stored = this.store.read();
    if (stored === undefined) return notFound;
    return ok({
      incident: stored.record,
      timeline: this.store.timeline(),
      playbook: this.playbook.views(),
      outbox: this.outbox.views(),
      evidenceKeys: this.playbook.evidenceKeys(),
      containmentMode: this.context().config.containmentMode,
      subjects: this.subjects.views(),
    });
  }

  postmortem(): Result<string, IncidentRefusal> {
    const detail = this.detail();
    return detail.ok ? ok(renderPostmortem(detail.value, new Date(this.now()))) : detail;
  }
}

export function facts(record: IncidentRecord) {
  return {
    state: record.state,
    severity: record.severity,
    kind: record.kind,
    acknowledged: record.acknowledgedAt !== undefined,
  };
}

export function without<T extends object, K extends keyof T>(
  value: T,
  keys: readonly K[],
): Omit<T, K> {
  const copy = { ...value };
  for (const key of keys) delete copy[key];
  return copy;
}
