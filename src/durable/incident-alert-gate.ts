/**
 * The alert gate of one incident: while a sweep's call runs, it tallies the alerts the call
 * raises, and when the sweep's alert cap is reached (ALERT_CAP_PER_SWEEP) it holds them
 * back: each is written in the timeline instead of the outbox, so nothing is lost, the
 * sweep's cap alert names it, and the escalation timer still runs.
 */
import type { AlertEvent } from '../core/alerts';
import type { IncidentStore } from './incident-store';

/** The alerts one sweep call queued, and those it held back. */
export interface AlertTally {
  readonly queued: AlertEvent[];
  readonly held: AlertEvent[];
}

interface Collector extends AlertTally {
  readonly hold: boolean;
  readonly sweepId: string;
}

export class AlertGate {
  private collector: Collector | undefined;

  constructor(private readonly store: IncidentStore) {}

  /** Runs `work` (synchronous, so no other call interleaves) and tallies its alerts. */
  collect<T>(sweepId: string, hold: boolean, work: () => T): { value: T; alerts: AlertTally } {
    const collector: Collector = { hold, sweepId, queued: [], held: [] };
    this.collector = collector;
    try {
      const value = work();
      return { value, alerts: { queued: collector.queued, held: collector.held } };
    } finally {
      this.collector = undefined;
    }
  }

  /** Whether the alert is held back (and written in the timeline); else it is tallied. */
  holds(event: AlertEvent, now: number, detail: string | undefined): boolean {
    const collector = this.collector;
    if (collector === undefined) return false;
    if (!collector.hold) {
      collector.queued.push(event);
      return false;
    }
    collector.held.push(event);
    this.store.append({
      at: now,
      actor: 'system',
      type: 'alert',
      message: `Held back the ${event} alert: the alert cap of sweep ${collector.sweepId} was reached (ALERT_CAP_PER_SWEEP); the cap alert of that sweep lists it`,
      data: {
        event,
        held: true,
        sweepId: collector.sweepId,
        ...(detail !== undefined && { detail }),
      },
    });
    return true;
  }
}
