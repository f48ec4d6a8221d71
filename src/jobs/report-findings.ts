/**
 * Hands a sweep's findings to their incidents: findings that share a cause become one
 * grouped incident (src/core/incident-grouping.ts), each report goes to the IncidentObject
 * of its fingerprint (opened, updated or reopened there), and every open incident the sweep
 * checked but did not see is told so (a clean sweep, towards auto-resolve). At most
 * ALERT_CAP_PER_SWEEP incidents alert, most severe first; the others' alerts are held back
 * in their timelines and one alert on the most severe of them says so
 * (src/core/incident-alert-cap.ts).
 *
 * Contract: safe to call twice for one sweep (incidents deduplicate by sweep id, the cap
 * alert is sent once per sweep). A failure for one incident does not stop the others;
 * after all ran, it is thrown as a `ReportFindingsError` carrying what did succeed.
 */
import {
  AlertAllowance,
  describeHeldAlerts,
  orderForAlerting,
  sortHeld,
  type HeldAlert,
} from '../core/incident-alert-cap';
import { DEFAULT_ALERT_CAP_PER_SWEEP, parseIncidentConfig } from '../core/incident-config';
import { planIncidentReports, type IncidentReport } from '../core/incident-grouping';
import type { Finding, FindingKind, Severity } from '../core/findings';
import type { MonitorEnv } from '../env';
import type { OpenIncidentRef } from '../durable/incident-index';
import { incidentIndexStub, incidentStubFor } from '../durable/incident-stubs';

export interface SweepFindings {
  readonly sweepId: string;
  readonly findings: readonly Finding[];
  readonly now: Date;
  /**
   * Kinds this sweep was able to judge. Only open incidents of these kinds count the sweep
   * as clean; without it, every open incident not seen does.
   */
  readonly checkedKinds?: readonly FindingKind[];
}

/** Incident ids, by what the sweep did to them. */
export interface SweepReportOutcome {
  readonly opened: string[];
  readonly updated: string[];
  readonly reopened: string[];
}

export class ReportFindingsError extends Error {
  override readonly name = 'ReportFindingsError';
  constructor(
    message: string,
    readonly partial: SweepReportOutcome,
    options: { cause: unknown },
  ) {
    super(message, options);
  }
}

/** Incidents contacted at a time: each is a subrequest. */
const CONCURRENCY = 6;

/** What one incident call reports back for the cap. */
interface Tallied {
  readonly incidentId: string;
  readonly fingerprint: string;
  readonly kind: FindingKind;
  readonly severity: Severity;
  readonly alerts: { readonly queued: readonly string[]; readonly held: readonly string[] };
}

export async function reportSweepFindings(
  env: MonitorEnv,
  sweep: SweepFindings,
): Promise<SweepReportOutcome> {
  const outcome: SweepReportOutcome = { opened: [], updated: [], reopened: [] };
  const failures: unknown[] = [];
  const allowance = new AlertAllowance(alertCapOf(env));
  const held: HeldAlert[] = [];
  const tally = (result: Tallied) => {
    if (result.alerts.held.length > 0)
      held.push({ ...result, events: result.alerts.held as HeldAlert['events'] });
    return result.alerts.queued.length > 0 ? 1 : 0;
  };

  const open = await incidentIndexStub(env).openIncidents();
  const openSeverity = new Map(open.map((ref) => [ref.fingerprint, ref.severity]));
  const reports = orderForAlerting(
    planIncidentReports(sweep.findings, new Set(openSeverity.keys())),
    openSeverity,
  );
  await inBatches(reports, allowance, failures, async (report: IncidentReport, hold) => {
    const { finding, members } = report;
    const result = await incidentStubFor(env, finding.fingerprint).observe(finding, sweep.sweepId, {
      holdAlerts: hold,
      ...(members !== undefined && { members }),
    });
    if (!result.ok) throw new Error(`${finding.fingerprint}: ${JSON.stringify(result.error)}`);
    outcome[result.value.outcome].push(result.value.incidentId);
    return tally({ ...result.value, fingerprint: finding.fingerprint, kind: finding.kind });
  });

  const reported = new Set(reports.map((report) => report.finding.fingerprint));
  const checked = sweep.checkedKinds === undefined ? undefined : new Set(sweep.checkedKinds);
  const clean = open.filter(
    (ref) => !reported.has(ref.fingerprint) && (checked === undefined || checked.has(ref.kind)),
  );
  await inBatches(clean, allowance, failures, async (ref: OpenIncidentRef, hold) => {
    const result = await incidentStubFor(env, ref.fingerprint).cleanSweep(sweep.sweepId, {
      holdAlerts: hold,
    });
    if (!result.ok) throw new Error(`${ref.fingerprint}: ${JSON.stringify(result.error)}`);
    return tally({
      ...result.value,
      incidentId: ref.id,
      fingerprint: ref.fingerprint,
      kind: ref.kind,
    });
  });

  const [carrier] = sortHeld(held);
  if (carrier !== undefined) {
    try {
      const sent = await incidentStubFor(env, carrier.fingerprint).alertsHeld(
        sweep.sweepId,
        describeHeldAlerts(allowance, held),
      );
      if (!sent.ok) failures.push(new Error(`cap alert: ${JSON.stringify(sent.error)}`));
    } catch (error) {
      failures.push(error);
    }
  }

  if (failures.length > 0) {
    throw new ReportFindingsError(`${failures.length} incident update(s) failed`, outcome, {
      cause: new AggregateError(failures),
    });
  }
  return outcome;
}

/** ALERT_CAP_PER_SWEEP, or its default when the setting does not parse. */
function alertCapOf(env: MonitorEnv): number {
  const parsed = parseIncidentConfig({ ...env });
  return parsed.ok ? parsed.value.alertCapPerSweep : DEFAULT_ALERT_CAP_PER_SWEEP;
}

/**
 * Runs `work` over `items`, a few at a time. In each batch only as many calls as the
 * allowance has left may alert (`hold` is false for them); the calls report how many
 * incidents did alert, which the allowance then spends. So the cap is never passed.
 */
async function inBatches<T>(
  items: readonly T[],
  allowance: AlertAllowance,
  failures: unknown[],
  work: (item: T, hold: boolean) => Promise<number>,
): Promise<void> {
  for (let start = 0; start < items.length; start += CONCURRENCY) {
    const allowed = allowance.remaining;
    const batch = items.slice(start, start + CONCURRENCY);
    const settled = await Promise.allSettled(batch.map((item, i) => work(item, i >= allowed)));
    for (const result of settled) {
      if (result.status === 'rejected') failures.push(result.reason);
      else allowance.spend(result.value);
    }
  }
}
