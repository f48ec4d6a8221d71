/**
 * The alert cap: at most `ALERT_CAP_PER_SWEEP` incidents alert per sweep report. When more
 * would, the most severe go first; the others' alerts are held back (each written in its
 * incident's timeline, every incident recorded, escalation timers still running), and one
 * more alert, on the most severe held-back incident, says what was held back.
 *
 * Contract: pure. Ordering, the allowance and the cap alert's wording live here; the sweep
 * job (src/jobs/report-findings.ts) does the calls.
 */
import type { AlertEvent } from './alerts';
import { severityRank, type FindingKind, type Severity } from './findings';
import type { IncidentReport } from './incident-grouping';

/** An incident whose alerts the cap held back. */
export interface HeldAlert {
  readonly incidentId: string;
  readonly fingerprint: string;
  readonly kind: FindingKind;
  readonly severity: Severity;
  readonly events: readonly AlertEvent[];
}

/** Names listed in the cap alert's detail; the rest are counted. */
const LISTED_HELD = 20;

/**
 * Reports most likely to alert first (a fingerprint with no open incident opens or reopens;
 * a sighting more severe than its open incident raises it), most severe first within that.
 * `open` maps each unresolved incident's fingerprint to its severity.
 */
export function orderForAlerting(
  reports: readonly IncidentReport[],
  open: ReadonlyMap<string, Severity | undefined>,
): IncidentReport[] {
  const alerts = (report: IncidentReport) => {
    const { fingerprint, severity } = report.finding;
    if (!open.has(fingerprint)) return true;
    const current = open.get(fingerprint);
    return current !== undefined && severityRank(severity) < severityRank(current);
  };
  return reports
    .map((report, position) => ({ report, position, alerts: alerts(report) }))
    .sort(
      (a, b) =>
        Number(b.alerts) - Number(a.alerts) ||
        severityRank(a.report.finding.severity) - severityRank(b.report.finding.severity) ||
        a.position - b.position,
    )
    .map((entry) => entry.report);
}

/** How many incidents may still alert in this sweep report. */
export class AlertAllowance {
  private spent = 0;
  constructor(readonly cap: number) {}

  /** Incidents that alerted so far. */
  get alerted(): number {
    return this.spent;
  }

  get remaining(): number {
    return Math.max(0, this.cap - this.spent);
  }

  /** Counts incidents that did alert. */
  spend(incidents: number): void {
    this.spent += incidents;
  }
}

/** Most severe first, then by id: the incident that carries the cap alert is the first. */
export function sortHeld(held: readonly HeldAlert[]): HeldAlert[] {
  return [...held].sort(
    (a, b) =>
      severityRank(a.severity) - severityRank(b.severity) ||
      a.incidentId.localeCompare(b.incidentId),
  );
}

/** The cap alert's detail: how many were held, by severity, and which (the first 20). */
export function describeHeldAlerts(
  allowance: Pick<AlertAllowance, 'cap' | 'alerted'>,
  held: readonly HeldAlert[],
): string {
  const sorted = sortHeld(held);
  const bySeverity = new Map<Severity, number>();
  for (const entry of sorted)
    bySeverity.set(entry.severity, (bySeverity.get(entry.severity) ?? 0) + 1);
  const counts = [...bySeverity].map(([severity, count]) => `${count} ${severity}`).join(', ');
  const listed = sorted
    .slice(0, LISTED_HELD)
    .map(
      (entry) => `${entry.severity} ${entry.kind} ${entry.incidentId} (${entry.events.join(', ')})`,
    )
    .join('; ');
  const more = sorted.length > LISTED_HELD ? `; and ${sorted.length - LISTED_HELD} more` : '';
  return (
    `${allowance.alerted} incident(s) alerted in this sweep (ALERT_CAP_PER_SWEEP=${allowance.cap}); the alerts of ` +
    `${sorted.length} more were held back (${counts}). Each is open and recorded, its held ` +
    `alert is in its timeline, and escalation still runs: ${listed}${more}.`
  );
}
