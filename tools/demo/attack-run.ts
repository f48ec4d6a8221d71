/**
 * One attack against a running stack, the way both the demo and the end-to-end tests do
 * it: note which incidents and alerts exist, apply the attack on the site, fire one sweep,
 * wait (bounded) for the expected incident (the hash queue's consumer reports after the
 * sweep), for its containment playbook to settle and for its signed webhook, then read the
 * status page. What it saw is returned as data; judging it is the caller's business.
 */
import { fingerprintOfExpected, matchesExpected } from './attacks.ts';
import type { AttackCheck, AttackScenario, AttackTarget } from './attacks.ts';
import type { IncidentDetail, IncidentSummary, SweepSummary } from './monitor-client.ts';
import type { ReceivedAlert } from './receiver.ts';
import type { Stack } from './stack.ts';
import { waitUntil, WaitTimeoutError } from './waiting.ts';

/** Generous for a 2-core machine shared with others; every wait below is bounded. */
export const TIMEOUTS = {
  sweepMs: 120_000,
  /** The sweep reports its own findings before it returns; this is slack for the index. */
  findingMs: 20_000,
  /** Hash jobs wait for a queue batch (2 s) and then stream every artifact. */
  hashingMs: 90_000,
  /** Between the sweeps of a scenario that may take several: a short look, not a wait. */
  betweenSweepsMs: 3_000,
  playbookMs: 20_000,
  alertMs: 30_000,
} as const;

export type AttackPhase =
  'attack' | 'sweep' | 'hashing' | 'incident' | 'playbook' | 'alerts' | 'checks' | 'status page';

export interface AttackRun {
  readonly scenario: AttackScenario;
  /** The last sweep fired after the attack (the one that found it), as the monitor summarised it. */
  readonly sweep: SweepSummary;
  /** Every sweep fired after the attack (one, unless `maxSweeps` allows more). */
  readonly sweeps: readonly SweepSummary[];
  /** Their time in total. */
  readonly sweepMs: number;
  /** The incident of the expected fingerprint, when it opened during this attack. */
  readonly incident?: IncidentSummary;
  readonly detail?: IncidentDetail;
  /** Other incidents this attack opened (side effects, e.g. a changed manifest). */
  readonly alsoOpened: readonly IncidentSummary[];
  /** Every alert the inbox got during this attack. */
  readonly alerts: readonly ReceivedAlert[];
  /** The status page right after: whether it lists the incident, and how. */
  readonly statusPage?: StatusPageView;
  /** The scenario's `checks`, as seen after it. */
  readonly checks: readonly CheckResult[];
  /** What did not happen in time, if anything. */
  readonly problems: readonly string[];
}

export interface StatusPageView {
  /** Links to `/api/incidents/<id>`: a public, non-redacted entry. */
  readonly linksIncident: boolean;
  /** Entries shown only as "Investigating an issue". */
  readonly redactedEntries: number;
}

export interface AttackHooks {
  readonly onPhase?: (phase: AttackPhase) => void;
}

export async function runAttack(
  stack: Stack,
  scenario: AttackScenario,
  hooks: AttackHooks = {},
): Promise<AttackRun> {
  const phase = hooks.onPhase ?? (() => {});
  const problems: string[] = [];
  const before = new Set((await stack.monitor.incidents()).map((incident) => incident.id));
  const alertsBefore = stack.receiver.alerts.length;
  const fingerprint = fingerprintOfExpected(scenario.expect);
  const isExpected = (candidate: IncidentSummary) =>
    matchesExpected(candidate, scenario.expect) && !before.has(candidate.id);

  phase('attack');
  for (const command of scenario.commands) await stack.site.apply(command);

  // Up to `maxSweeps` sweeps (a rotation reaches a release only every few); after each but
  // the last, a quick look, since the sweep reports its own findings before it returns.
  const maxSweeps = scenario.maxSweeps ?? 1;
  const sweeps: SweepSummary[] = [];
  let sweepMs = 0;
  let incident: IncidentSummary | undefined;
  for (let number = 1; number <= maxSweeps && incident === undefined; number += 1) {
    phase('sweep');
    const started = Date.now();
    sweeps.push(await stack.monitor.sweep(TIMEOUTS.sweepMs));
    sweepMs += Date.now() - started;
    const last = number === maxSweeps;
    phase(scenario.needsHashing ? 'hashing' : 'incident');
    try {
      incident = await waitUntil(
        `an incident for ${fingerprint}`,
        async () => (await stack.monitor.incidents()).find(isExpected),
        {
          timeoutMs: !last
            ? TIMEOUTS.betweenSweepsMs
            : scenario.needsHashing
              ? TIMEOUTS.hashingMs
              : TIMEOUTS.findingMs,
          intervalMs: 500,
        },
      );
    } catch (error) {
      if (!(error instanceof WaitTimeoutError)) throw error;
      if (last)
        problems.push(
          `no new incident for ${fingerprint} after ${maxSweeps} sweep${maxSweeps === 1 ? '' : 's'}`,
        );
    }
  }
  const sweep = sweeps.at(-1) as SweepSummary;

  let detail: IncidentDetail | undefined;
  if (incident !== undefined) {
    phase('playbook');
    detail = await settledDetail(stack, incident.id, problems);
    phase('alerts');
    const id = incident.id;
    try {
      await waitUntil(
        `a signed webhook for incident ${id}`,
        async () =>
          stack.receiver.alerts
            .slice(alertsBefore)
            .find((alert) => alert.channel === 'webhook' && alert.incidentId === id) ?? undefined,
        { timeoutMs: TIMEOUTS.alertMs, intervalMs: 250 },
      );
    } catch (error) {
      if (!(error instanceof WaitTimeoutError)) throw error;
      problems.push(`no webhook arrived for incident ${id}`);
    }
  }

  phase('checks');
  const checks = await runChecks(stack, scenario.checks ?? [], sweep);

  phase('status page');
  const html = await stack.monitor.statusPage();
  const after = await stack.monitor.incidents();
  return {
    scenario,
    sweep,
    sweeps,
    sweepMs,
    ...(incident !== undefined && {
      incident: after.find((one) => one.id === incident.id) ?? incident,
    }),
    ...(detail !== undefined && { detail }),
    alsoOpened: after.filter((one) => !before.has(one.id) && one.id !== incident?.id),
    alerts: stack.receiver.alerts.slice(alertsBefore),
    statusPage: readStatusPage(html, incident?.id),
    checks,
    problems,
  };
}

/** One `AttackCheck` as seen from outside, with what was seen. */
export interface CheckResult {
  readonly check: AttackCheck;
  readonly ok: boolean;
  readonly detail: string;
}

async function runChecks(
  stack: Stack,
  checks: readonly AttackCheck[],
  sweep: SweepSummary,
): Promise<CheckResult[]> {
  const results: CheckResult[] = [];
  for (const check of checks) {
    if (check.check === 'watched') {
      results.push({
        check,
        ok: sweep.releases.includes(check.version),
        detail: `the sweep watched ${sweep.releases.join(', ') || 'nothing'}`,
      });
    } else {
      const entries = await stack.monitor.logEntries(`${check.version}/SHASUMS256.txt`);
      const pinned = entries.filter(
        (entry) => entry.type === 'manifest' && entry.release === check.version,
      );
      results.push({
        check,
        ok: pinned.length === 0,
        detail: `the log holds ${pinned.length} manifest entr${pinned.length === 1 ? 'y' : 'ies'} of ${check.version}`,
      });
    }
  }
  return results;
}

/** The incident once no containment step is still pending (or as it is at the deadline). */
async function settledDetail(
  stack: Stack,
  id: string,
  problems: string[],
): Promise<IncidentDetail> {
  try {
    return await waitUntil(
      `the playbook of incident ${id} to settle`,
      async () => {
        const detail = await stack.monitor.incident(id);
        const pending = detail.playbook.some((step) => step.status === 'pending');
        return detail.playbook.length > 0 && !pending ? detail : undefined;
      },
      { timeoutMs: TIMEOUTS.playbookMs, intervalMs: 500 },
    );
  } catch (error) {
    if (!(error instanceof WaitTimeoutError)) throw error;
    problems.push(`the playbook of incident ${id} did not settle`);
    return stack.monitor.incident(id);
  }
}

export function readStatusPage(html: string, incidentId: string | undefined): StatusPageView {
  return {
    linksIncident: incidentId !== undefined && html.includes(`/api/incidents/${incidentId}`),
    redactedEntries: html.split('<h3>Investigating an issue</h3>').length - 1,
  };
}

/**
 * What the attacks aim at: the site's releases and their `lts`, the newest release's
 * smallest artifacts (read from its SHASUMS256.txt, index.json and HEAD requests; call it
 * while no attack is applied), and what the monitor's last sweep watched.
 */
export async function describeTarget(stack: Stack): Promise<AttackTarget> {
  const releases = await stack.site.releases();
  const watched = (await stack.monitor.latestSweep())?.releases;
  const base = {
    distBaseUrl: stack.distBaseUrl,
    releases,
    ...(watched !== undefined && { watched }),
  };
  const newest = releases[0];
  if (newest === undefined) return base;
  const signal = () => AbortSignal.timeout(15_000);
  const index = (await (
    await fetch(`${stack.distBaseUrl}/index.json`, { signal: signal() })
  ).json()) as { version: string; lts: string | false }[];
  const lts = Object.fromEntries(index.map((entry) => [entry.version, entry.lts]));
  const manifest = await fetch(`${stack.distBaseUrl}/${newest}/SHASUMS256.txt`, {
    signal: signal(),
  });
  const names = (await manifest.text())
    .split('\n')
    .map((line) => line.trim().split(/\s+/)[1])
    .filter((name): name is string => name !== undefined && name !== '');
  const sizes: { name: string; size: number }[] = [];
  for (const name of names) {
    const head = await fetch(`${stack.distBaseUrl}/${newest}/${name}`, {
      method: 'HEAD',
      signal: signal(),
    });
    const size = Number(head.headers.get('content-length'));
    if (Number.isFinite(size)) sizes.push({ name, size });
  }
  const smallArtifacts = sizes
    .sort((a, b) => a.size - b.size || a.name.localeCompare(b.name))
    .map((entry) => entry.name);
  const [smallest] = smallArtifacts;
  return {
    ...base,
    lts,
    ...(smallest !== undefined && { smallestArtifact: smallest, smallArtifacts }),
  };
}

/** Undoes every attack on the site. Incidents stay open: that is the monitor's job. */
export async function resetSite(stack: Stack): Promise<void> {
  await stack.site.reset();
}
