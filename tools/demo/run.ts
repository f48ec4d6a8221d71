/**
 * `npm run demo`: see the monitor work end to end on one machine. Starts a fake dist site,
 * an alert inbox and the monitor (wrangler dev), runs a clean sweep, then attacks the site
 * one way after another — first as a compromised site would, then as a hostile one that
 * tells the monitor apart — and shows, for each, what the monitor found, the incident it
 * opened, the containment steps it ran (dry-run), the alerts that arrived and what the
 * status page says. Then it plays the release worker's routine events (an R2 outage, a
 * release without a purge), whose expected result is no P0, no P1 and nothing left open,
 * and ends with a summary that counts the alerts and pages each caused. Everything is
 * stopped and removed at the end, on error and on Ctrl-C.
 *
 *   node tools/demo/run.ts [--quick] [--keep]
 */
import { parseArgs } from 'node:util';
import { causedIncidents, countAlerts } from './alert-count.ts';
import type { ScenarioWindow } from './alert-count.ts';
import { describeTarget, resetSite, runAttack, TIMEOUTS } from './attack-run.ts';
import type { AttackPhase, AttackRun } from './attack-run.ts';
import type { AttackScenario } from './attacks.ts';
import { afterReset, printRoutine, printRun } from './demo-print.ts';
import { asExpected, summary } from './demo-summary.ts';
import type { StepRun } from './demo-summary.ts';
import { FAIL, OK, say, style, withProgress, wrap } from './output.ts';
import { cleanUpEverything, installCleanupHandlers } from './processes.ts';
import { runRoutine } from './routine-run.ts';
import type { RoutineRun } from './routine-run.ts';
import { ROUTINE_EXPECTATION } from './routine-scenarios.ts';
import type { RoutineScenario } from './routine-scenarios.ts';
import { startStack } from './stack.ts';
import type { Stack } from './stack.ts';
import { demoTour, SECTION_TITLES } from './tour.ts';
import type { TourSection, TourStep } from './tour.ts';
import { sleep } from './waiting.ts';

const USAGE = `Usage: node tools/demo/run.ts [--quick] [--keep]

  --quick   a short tour: three attacks on the files, one hostile-site attack, the R2 outage
  --keep    leave everything running at the end, to browse the status page; Ctrl-C stops it`;

/** Where explanatory text wraps. */
const TEXT_WIDTH = 92;

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

    const tour = demoTour(await describeTarget(stack), values.quick);
    const steps: StepRun[] = [];
    const windows: ScenarioWindow[] = [];
    let section: TourSection | undefined;
    for (const [index, step] of tour.entries()) {
      if (step.section !== section) {
        section = step.section;
        say(style.bold(SECTION_TITLES[section]));
        say();
      }
      const before = await stack.monitor.incidents();
      const alertsBefore = stack.receiver.alerts.length;
      steps.push(await play(stack, step, index + 1, tour.length));
      windows.push({
        name: step.scenario.name,
        alertsBefore,
        incidents: causedIncidents(
          before,
          await stack.monitor.incidents(),
          stack.receiver.alerts.slice(alertsBefore),
        ),
      });
    }
    summary(stack, steps, countAlerts(stack.receiver.alerts, windows), values.keep);

    if (values.keep) {
      say(`Everything is still running. Open ${stack.monitor.origin}/ or, as an operator:`);
      say(
        `  curl -H 'authorization: Bearer ${stack.operatorToken}' ${stack.monitor.origin}/api/incidents`,
      );
      say('Ctrl-C stops it all.');
      await new Promise(() => {});
    }
    return steps.every(asExpected) ? 0 : 1;
  } finally {
    await withProgress('stopping the monitor, the site and the inbox', () => stack.stop());
  }
}

async function play(stack: Stack, step: TourStep, number: number, total: number): Promise<StepRun> {
  const title = `[${number}/${total}] ${step.scenario.name}`;
  say(style.bold(`── ${title} ${'─'.repeat(Math.max(3, 72 - title.length))}`));
  return step.type === 'attack'
    ? { type: 'attack', run: await attack(stack, step.scenario) }
    : { type: 'routine', run: await routine(stack, step.scenario) };
}

function intro(): void {
  say(style.bold('dist-integrity-monitor: the demo'));
  say();
  say('The monitor proves, every few minutes, that the files served at nodejs.org/dist are');
  say('exactly what the release team signed, served with the right headers, by a site that is');
  say('up. This demo runs it on your machine against a fake dist site, attacks that site in');
  say('the ways a compromised one could misbehave (a hostile one shows the monitor something');
  say('else than users get), and shows what the monitor does about each: the finding, the');
  say('incident, the containment steps (dry-run: recorded, not done), the alerts (signed');
  say('webhooks and Slack, received by a local inbox) and the status page. Then it plays the');
  say("release worker's routine events, which must page nobody, and counts the pages.");
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

async function attack(stack: Stack, scenario: AttackScenario): Promise<AttackRun> {
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

async function routine(stack: Stack, scenario: RoutineScenario): Promise<RoutineRun> {
  say(`  ${style.dim('event')}     ${wrap(scenario.what, TEXT_WIDTH - 12, 12)}`);
  say(`  ${style.dim('expected')}  ${ROUTINE_EXPECTATION}`);
  say(`  ${style.dim('why')}       ${wrap(scenario.how, TEXT_WIDTH - 12, 12)}`);
  const run = await withProgress(scenario.name, (progress) =>
    runRoutine(stack, scenario, { onStep: (step) => progress.set(step) }),
  );
  printRoutine(run);
  await withProgress('resetting the site', () => resetSite(stack));
  say(`  ${style.dim('↺ site reset.')}`);
  say();
  return run;
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
