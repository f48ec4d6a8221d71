/**
 * One attack against a running stack, the way both the demo and the end-to-end tests do
 * it: note which incidents and alerts exist, apply the attack on the site, fire one sweep,
 * wait (bounded) for the expected incident (the hash queue's consumer reports after the
 * sweep), for its containment playbook to settle and for its signed webhook, then read the
 * status page. What it saw is returned as data; judging it is the caller's business.
 */
import { fingerprintOfExpected, matchesExpected } from './attacks.ts';
import type { AttackScenario, AttackTarget } from './attacks.ts';
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
  playbookMs: 20_000,
  alertMs: 30_000,
} as const;

export type AttackPhase =
  'attack' | 'sweep' | 'hashing' | 'incident' | 'playbook' | 'alerts' | 'status page';

export interface AttackRun {
  readonly scenario: AttackScenario;
  /** The sweep fired after the attack, as the monitor summarised it. */
  readonly sweep: SweepSummary;
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

  phase('attack');
  for (const command of scenario.commands) await stack.site.apply(command);

  phase('sweep');
  const started = Date.now();
  const sweep = await stack.monitor.sweep(TIMEOUTS.sweepMs);
  const sweepMs = Date.now() - started;

  phase(scenario.needsHashing ? 'hashing' : 'incident');
  let incident: IncidentSummary | undefined;
  try {
    incident = await waitUntil(
      `an incident for ${fingerprint}`,
      async () =>
        (await stack.monitor.incidents()).find(
          (candidate) => matchesExpected(candidate, scenario.expect) && !before.has(candidate.id),
        ),
      {
        timeoutMs: scenario.needsHashing ? TIMEOUTS.hashingMs : TIMEOUTS.findingMs,
        intervalMs: 500,
      },
    );
  } catch (error) {
    if (!(error instanceof WaitTimeoutError)) throw error;
    problems.push(`no new incident for ${fingerprint}`);
  }

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

  phase('status page');
  const html = await stack.monitor.statusPage();
  const after = await stack.monitor.incidents();
  return {
    scenario,
    sweep,
    sweepMs,
    ...(incident !== undefined && {
      incident: after.find((one) => one.id === incident.id) ?? incident,
    }),
    ...(detail !== undefined && { detail }),
    alsoOpened: after.filter((one) => !before.has(one.id) && one.id !== incident?.id),
    alerts: stack.receiver.alerts.slice(alertsBefore),
    statusPage: readStatusPage(html, incident?.id),
    problems,
  };
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
 * What the attacks aim at: the site's releases and the newest release's smallest artifact
 * (read from its SHASUMS256.txt and HEAD requests; call it while no attack is applied).
 */
export async function describeTarget(stack: Stack): Promise<AttackTarget> {
  const releases = await stack.site.releases();
  const newest = releases[0];
  if (newest === undefined) return { distBaseUrl: stack.distBaseUrl, releases };
  const signal = () => AbortSignal.timeout(15_000);
  const manifest = await fetch(`${stack.distBaseUrl}/${newest}/SHASUMS256.txt`, {
    signal: signal(),
  });
  const names = (await manifest.text())
    .split('\n')
    .map((line) => line.trim().split(/\s+/)[1])
    .filter((name): name is string => name !== undefined && name !== '');
  let smallest: { name: string; size: number } | undefined;
  for (const name of names) {
    const head = await fetch(`${stack.distBaseUrl}/${newest}/${name}`, {
      method: 'HEAD',
      signal: signal(),
    });
    const size = Number(head.headers.get('content-length'));
    if (Number.isFinite(size) && (smallest === undefined || size < smallest.size))
      smallest = { name, size };
  }
  return {
    distBaseUrl: stack.distBaseUrl,
    releases,
    ...(smallest !== undefined && { smallestArtifact: smallest.name }),
  };
}

/** Undoes every attack on the site. Incidents stay open: that is the monitor's job. */
export async function resetSite(stack: Stack): Promise<void> {
  await stack.site.reset();
}
