/**
 * Hands a sweep's findings to their incidents: each finding goes to the IncidentObject of
 * its fingerprint (opened, updated or reopened there), and every open incident the sweep
 * checked but did not see is told so (a clean sweep, towards auto-resolve).
 *
 * Contract: safe to call twice for one sweep (incidents deduplicate by sweep id). A failure
 * for one incident does not stop the others; after all ran, it is thrown as a
 * `ReportFindingsError` carrying what did succeed.
 */
import type { Finding, FindingKind } from '../core/findings';
import { mostSevere } from '../core/findings';
import type { MonitorEnv } from '../env';
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

export async function reportSweepFindings(
  env: MonitorEnv,
  sweep: SweepFindings,
): Promise<SweepReportOutcome> {
  const outcome: SweepReportOutcome = { opened: [], updated: [], reopened: [] };
  const failures: unknown[] = [];
  const byFingerprint = new Map<string, Finding>();
  for (const finding of sweep.findings) {
    const seen = byFingerprint.get(finding.fingerprint);
    // Two sightings of one problem in one sweep: keep the more severe.
    if (seen === undefined || mostSevere(seen.severity, finding.severity) !== seen.severity) {
      byFingerprint.set(finding.fingerprint, finding);
    }
  }
  await inBatches(
    [...byFingerprint.values()],
    async (finding) => {
      const result = await incidentStubFor(env, finding.fingerprint).observe(
        finding,
        sweep.sweepId,
      );
      if (result.ok) outcome[result.value.outcome].push(result.value.incidentId);
      else failures.push(new Error(`${finding.fingerprint}: ${JSON.stringify(result.error)}`));
    },
    failures,
  );

  const checked = sweep.checkedKinds === undefined ? undefined : new Set(sweep.checkedKinds);
  const open = await incidentIndexStub(env).openIncidents();
  const clean = open.filter(
    (ref) =>
      !byFingerprint.has(ref.fingerprint) && (checked === undefined || checked.has(ref.kind)),
  );
  await inBatches(
    clean,
    async (ref) => {
      const result = await incidentStubFor(env, ref.fingerprint).cleanSweep(sweep.sweepId);
      if (!result.ok)
        failures.push(new Error(`${ref.fingerprint}: ${JSON.stringify(result.error)}`));
    },
    failures,
  );

  if (failures.length > 0) {
    throw new ReportFindingsError(`${failures.length} incident update(s) failed`, outcome, {
      cause: new AggregateError(failures),
    });
  }
  return outcome;
}

async function inBatches<T>(
  items: readonly T[],
  work: (item: T) => Promise<void>,
  failures: unknown[],
): Promise<void> {
  for (let start = 0; start < items.length; start += CONCURRENCY) {
    const settled = await Promise.allSettled(items.slice(start, start + CONCURRENCY).map(work));
    for (const result of settled) if (result.status === 'rejected') failures.push(result.reason);
  }
}
