/**
 * A clean sweep: a sweep that checked this incident's kind did not see it. It counts towards
 * auto-resolving (P2/P3 non-private kinds only); deduplicated by sweep id.
 */
import { planCleanSweep, planTransition, type IncidentRefusal } from '../core/incident-lifecycle';
import type { Severity } from '../core/findings';
import { ok, type Result } from '../core/result';
import type { AlertTally } from './incident-alert-gate';
import { facts, notFound, type IncidentEngine } from './incident-engine';
import { NO_ALERTS, type ObserveOptions } from './incident-sightings';

/** What a clean sweep did: resolved it, counted towards resolving, or nothing (resolved). */
export interface CleanSweepOutcome {
  readonly decision: 'resolved' | 'counted' | 'ignored';
  readonly cleanStreak: number;
  readonly severity: Severity;
  readonly alerts: AlertTally;
}

export function cleanSweep(
  engine: IncidentEngine,
  sweepId: string,
  options: Pick<ObserveOptions, 'holdAlerts'> = {},
): Result<CleanSweepOutcome, IncidentRefusal> {
  const stored = engine.store.read();
  if (stored === undefined) return notFound;
  const { record } = stored;
  const unchanged = {
    cleanStreak: record.cleanStreak,
    severity: record.severity,
    alerts: NO_ALERTS,
  };
  if (record.state === 'resolved') return ok({ decision: 'ignored', ...unchanged });
  if (stored.lastCleanSweepId === sweepId) return ok({ decision: 'counted', ...unchanged });
  const now = engine.now();
  const threshold = engine.context().config.autoResolveCleanSweeps;
  const streak = record.cleanStreak + 1;
  const decision = planCleanSweep(record, streak, threshold);
  const { alerts } = engine.alerts.collect(sweepId, options.holdAlerts === true, () =>
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
    }),
  );
  return ok({
    decision: decision === 'resolve' ? 'resolved' : 'counted',
    cleanStreak: streak,
    severity: record.severity,
    alerts,
  });
}
