/**
 * `npm run demo`: see the monitor work end to end on one machine. Starts a fake dist site,
 * an alert inbox and the monitor (wrangler dev), runs a clean sweep, then attacks the site
 * one way after another and shows, for each, what the monitor found, the incident it
 * opened, the containment steps it ran (dry-run), the alerts that arrived and what the
 * status page says. Everything is stopped and removed at the end, on error and on Ctrl-C.
 *
 *   node tools/demo/run.ts [--quick] [--keep]
 */
import { parseArgs } from 'node:util';
import { describeTarget, resetSite, runAttack, TIMEOUTS } from './attack-run.ts';
import type { AttackPhase, AttackRun } from './attack-run.ts';
import { attackScenarios } from './attacks.ts';
import type { AttackScenario } from './attacks.ts';
import type { IncidentDetail, IncidentSummary } from './monitor-client.ts';
import { FAIL, OK, say, severityLabel, style, table, withProgress, wrap } from './output.ts';
import { cleanUpEverything, installCleanupHandlers } from './processes.ts';
import { formatAlert } from './receiver.ts';
import type { ReceivedAlert } from './receiver.ts';
import { startStack } from './stack.ts';
import type { Stack } from './stack.ts';
import { sleep } from './waiting.ts';

const USAGE = `Usage: node tools/demo/run.ts [--quick] [--keep]

  --quick   only three attacks (tamper-artifact, set-header: Set-Cookie, poison-cache: index.json)
  --keep    leave everything running at the end, to browse the status page; Ctrl-C stops it`;

/** Where explanatory text wraps. */
const TEXT_WIDTH = 92;

/** Steps that act on the world; in dry-run they only record what they would do. */
const WORLD_STEPS = new Set(['purge-cache', 'reverify', 'quarantine']);

const PHASE_WORDS: Record<AttackPhase, string> = {
  attack: 'attacking the site',
  sweep: 'sweeping (GET /__scheduled)',
  hashing: 'waiting for the hash queue to stream the artifacts',
  incident: 'waiting for the incident',
  playbook: 'waiting for the containment playbook',
  alerts: 'waiting for the alerts',
  checks: 'checking what else must hold',
  'status page': 'reading the status page',
};

async function main(argv: readonly string[]): Promise<number> {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      quick: { type: 'boolean', default: false },
      keep: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
  });
  if (values.help) {
    say(USAGE);
    return 0;
  }
  installCleanupHandlers();
  intro();

  const stack = await withProgress('starting', (progress) =>
    startStack({ log: (line) => progress.set(line) }),
  );
  try {
    say(
      `  dist site     ${stack.distBaseUrl}   ${style.dim('(fixture: 3 releases signed by a throwaway key)')}`,
    );
    say(`  alert inbox   ${stack.receiver.webhookUrl}, ${stack.receiver.slackUrl}`);
    say(
      `  monitor       ${stack.monitor.origin}/   ${style.dim('(wrangler dev --test-scheduled, fresh state)')}`,
    );
    say();

    const clean = await cleanSweep(stack);
    if (!clean) return 1;

    const all = attackScenarios(await describeTarget(stack));
    const scenarios = values.quick ? all.filter((scenario) => scenario.quick) : all;
    const runs: AttackRun[] = [];
    for (const [index, scenario] of scenarios.entries()) {
      runs.push(await attack(stack, scenario, index + 1, scenarios.length));
    }
    summary(stack, runs, values.keep);

    if (values.keep) {
      say(`Everything is still running. Open ${stack.monitor.origin}/ or, as an operator:`);
      say(
        `  curl -H 'authorization: Bearer ${stack.operatorToken}' ${stack.monitor.origin}/api/incidents`,
      );
      say('Ctrl-C stops it all.');
      await new Promise(() => {});
    }
    return runs.every(detected) ? 0 : 1;
  } finally {
    await withProgress('stopping the monitor, the site and the inbox', () => stack.stop());
  }
}

function intro(): void {
  say(style.bold('dist-integrity-monitor: the demo'));
  say();
  say('The monitor proves, every few minutes, that the files served at nodejs.org/dist are');
  say('exactly what the release team signed, served with the right headers, by a site that is');
  say('up. This demo runs it on your machine against a fake dist site, attacks that site in');
  say('the ways a compromised one could misbehave, and shows what the monitor does about each:');
  say('the finding, the incident, the containment steps (dry-run: recorded, not done), the');
  say('alerts (signed webhooks and Slack, received by a local inbox) and the status page.');
  say(
    style.dim('Nothing leaves 127.0.0.1. Everything stops and is removed at the end or on Ctrl-C.'),
  );
  say();
}

async function cleanSweep(stack: Stack): Promise<boolean> {
  say(style.bold('A clean sweep'));
  say('  The first sweep verifies every signature and pins what it saw: from now on,');
  say('  any change to a release is a finding, even a validly signed one.');
  const latest = await withProgress('sweeping (GET /__scheduled)', () =>
    stack.monitor.sweep(TIMEOUTS.sweepMs),
  );
  // Hash jobs from this sweep run in the background; a short pause lets a clean site show it stays quiet.
  await withProgress('letting the hash queue run', () => sleep(3_000));
  const incidents = await stack.monitor.incidents();
  const mark = latest.findings === 0 && incidents.length === 0 ? OK : FAIL;
  say(
    `  ${mark} ${latest.findings} findings, ${incidents.length} incidents · ${latest.releases.length} releases pinned (${latest.releases.join(', ')})`,
  );
  say(
    `    ${latest.requests} requests in ${(latest.durationMs / 1000).toFixed(1)} s · ${latest.artifactsChecked} artifacts checked · ${latest.hashedInline ?? 0} hashed in the sweep, ${latest.hashJobsQueued} queued for hashing`,
  );
  say();
  return mark === OK;
}

async function attack(
  stack: Stack,
  scenario: AttackScenario,
  number: number,
  total: number,
): Promise<AttackRun> {
  const title = `[${number}/${total}] ${scenario.name}`;
  say(style.bold(`── ${title} ${'─'.repeat(Math.max(3, 72 - title.length))}`));
  // Label column: two spaces, then ten characters.
  say(`  ${style.dim('attack')}    ${wrap(scenario.what, TEXT_WIDTH - 12, 12)}`);
  say(`  ${style.dim('detection')} ${wrap(scenario.how, TEXT_WIDTH - 12, 12)}`);
  const run = await withProgress('attacking the site', (progress) =>
    runAttack(stack, scenario, { onPhase: (phase) => progress.set(PHASE_WORDS[phase]) }),
  );
  printRun(stack, run);
  await withProgress('resetting the site', () => resetSite(stack));
  say(`  ${style.dim('↺ site reset.')} ${style.dim(afterReset(run.incident))}`);
  say();
  return run;
}

function printRun(stack: Stack, run: AttackRun): void {
  const { incident, detail, scenario } = run;
  const expected = `${scenario.expect.kind} ${scenario.expect.severity}`;
  if (incident === undefined) {
    say(
      `  ${FAIL} ${style.red(`expected ${expected}, not found`)} ${style.dim(`(${run.problems.join('; ')})`)}`,
    );
    const kinds = run.sweep.findingKinds.join(', ') || 'nothing';
    say(`    ${style.dim('the sweep')} found ${kinds} in ${(run.sweepMs / 1000).toFixed(1)} s`);
  } else {
    say(
      `  ${OK} found     ${style.bold(incident.kind)} · ${severityLabel(incident.severity)} · ${incident.subject}`,
    );
    say(
      `    ${style.dim('sweep')}     ${(run.sweepMs / 1000).toFixed(1)} s${scenario.needsHashing ? ', then the hash queue' : ''}`,
    );
    say(
      `    ${style.dim('incident')}  ${incident.id} · ${incident.state}${incident.security ? ' · private until an operator discloses it' : ''}`,
    );
  }
  for (const other of run.alsoOpened) {
    say(
      `    ${style.dim('also')}      ${other.kind} · ${severityLabel(other.severity)} · ${other.subject}`,
    );
  }
  if (detail !== undefined) say(`    ${style.dim('playbook')}  ${playbookLine(detail)}`);
  const alerts = incident === undefined ? run.alerts : alertsFor(run.alerts, incident.id);
  if (alerts.length === 0) say(`    ${style.dim('alerts')}    ${FAIL} none arrived`);
  for (const [index, alert] of alerts.entries()) {
    say(`    ${style.dim(index === 0 ? 'alerts' : '      ')}    ${alertLine(alert)}`);
  }
  if (run.statusPage !== undefined && incident !== undefined) {
    const page = `${stack.monitor.origin}/`;
    if (run.statusPage.linksIncident)
      say(`    ${style.dim('status')}    ${page} lists it with its details`);
    else if (incident.security && run.statusPage.redactedEntries > 0)
      say(
        `    ${style.dim('status')}    ${page} says only "Investigating an issue" (details stay private)`,
      );
    else say(`    ${style.dim('status')}    ${FAIL} ${page} does not show it`);
  }
  for (const problem of run.problems) if (incident !== undefined) say(`    ${FAIL} ${problem}`);
}

function playbookLine(detail: IncidentDetail): string {
  const latestRun = Math.max(...detail.playbook.map((step) => step.run));
  const steps = detail.playbook
    .filter((step) => step.run === latestRun)
    .sort((a, b) => a.position - b.position)
    .map((step) => {
      const mark =
        step.status === 'done' ? OK : step.status === 'failed' ? FAIL : style.dim(step.status);
      const dry =
        WORLD_STEPS.has(step.step) && detail.containmentMode !== 'enforce'
          ? style.dim(' (dry-run)')
          : '';
      return `${step.step} ${mark}${dry}`;
    });
  return steps.length === 0 ? style.dim('none') : steps.join(' · ');
}

/** The webhooks about this incident and the Slack messages that name it. */
function alertsFor(alerts: readonly ReceivedAlert[], incidentId: string): ReceivedAlert[] {
  return alerts.filter((alert) => alert.incidentId === incidentId);
}

function alertLine(alert: ReceivedAlert): string {
  const text = formatAlert(alert);
  return alert.channel === 'webhook' && !alert.verified ? style.red(text) : text;
}

function afterReset(incident: IncidentSummary | undefined): string {
  if (incident === undefined) return '';
  if (incident.security || incident.severity === 'P0' || incident.severity === 'P1') {
    return 'The incident stays open until a person resolves it: that is correct.';
  }
  return 'The incident stays open; being P2, it resolves itself after 3 clean sweeps.';
}

function detected(run: AttackRun): boolean {
  return run.incident !== undefined && run.incident.severity === run.scenario.expect.severity;
}

function summary(stack: Stack, runs: readonly AttackRun[], keep: boolean): void {
  say(style.bold('Summary'));
  const rows = runs.map((run, index) => {
    const webhooks =
      run.incident === undefined
        ? []
        : alertsFor(run.alerts, run.incident.id).filter((a) => a.channel === 'webhook');
    const verified = webhooks.filter((alert) => alert.verified).length;
    const slack =
      run.incident === undefined
        ? 0
        : alertsFor(run.alerts, run.incident.id).filter((a) => a.channel === 'slack').length;
    return [
      String(index + 1),
      run.scenario.name,
      `${run.scenario.expect.kind} ${run.scenario.expect.severity}`,
      detected(run) ? OK : FAIL,
      run.incident?.state ?? '-',
      `${verified}/${webhooks.length} webhooks verified${slack > 0 ? `, ${slack} Slack` : ''}`,
    ];
  });
  for (const line of table(
    ['#', 'attack', 'expected finding', 'found', 'incident', 'alerts'],
    rows,
  ))
    say(`  ${line}`);
  const found = runs.filter(detected).length;
  say();
  say(
    `  ${found === runs.length ? OK : FAIL} ${found} of ${runs.length} attacks detected · ${stack.receiver.alerts.length} alerts received · status page ${stack.monitor.origin}/`,
  );
  if (!stack.receiver.alerts.some((alert) => alert.channel === 'slack')) {
    say(
      style.dim(
        '  No Slack message arrived: the monitor posts to Slack only over https, and the inbox is http.',
      ),
    );
  }
  if (!keep) {
    say(
      style.dim(
        '  Run with --keep to look around the status page and the API before everything stops.',
      ),
    );
  }
  say();
}

main(process.argv.slice(2))
  .then((code) => {
    process.exitCode = code;
  })
  .catch(async (error: unknown) => {
    process.stderr.write(
      `\ndemo failed: ${error instanceof Error ? error.message : String(error)}\n`,
    );
    await cleanUpEverything();
    process.exitCode = 1;
  });
