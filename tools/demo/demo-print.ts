/**
 * What the demo prints about each attack and each routine event: the finding, incident,
 * containment steps, alerts and status page of an attack; the phases, the incidents they
 * opened and how they closed of a routine event.
 */
import type { AttackRun, CheckResult } from './attack-run.ts';
import type { IncidentDetail, IncidentSummary } from './monitor-client.ts';
import { FAIL, OK, say, severityLabel, style } from './output.ts';
import { formatAlert } from './receiver.ts';
import type { ReceivedAlert } from './receiver.ts';
import { judgeRoutine } from './routine-run.ts';
import type { RoutineRun } from './routine-run.ts';
import { ROUTINE_EXPECTATION } from './routine-scenarios.ts';
import type { Stack } from './stack.ts';

/** Steps that act on the world; in dry-run they only record what they would do. */
const WORLD_STEPS = new Set(['purge-cache', 'reverify', 'quarantine']);

export function printRun(stack: Stack, run: AttackRun): void {
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
    const sweeps = run.sweeps.length === 1 ? '' : ` (${run.sweeps.length} sweeps)`;
    say(
      `    ${style.dim('sweep')}     ${(run.sweepMs / 1000).toFixed(1)} s${sweeps}${scenario.needsHashing ? ', then the hash queue' : ''}`,
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
  for (const result of run.checks) say(`    ${style.dim('check')}     ${checkLine(result)}`);
  for (const problem of run.problems) if (incident !== undefined) say(`    ${FAIL} ${problem}`);
}

function checkLine(result: CheckResult): string {
  const what =
    result.check.check === 'watched'
      ? `${result.check.version} is still watched`
      : `${result.check.version} was never pinned`;
  return `${result.ok ? OK : FAIL} ${what} ${style.dim(`(${result.detail})`)}`;
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
export function alertsFor(alerts: readonly ReceivedAlert[], incidentId: string): ReceivedAlert[] {
  return alerts.filter((alert) => alert.incidentId === incidentId);
}

function alertLine(alert: ReceivedAlert): string {
  const text = formatAlert(alert);
  return alert.channel === 'webhook' && !alert.verified ? style.red(text) : text;
}

export function afterReset(incident: IncidentSummary | undefined): string {
  if (incident === undefined) return '';
  if (incident.security || incident.severity === 'P0' || incident.severity === 'P1') {
    return 'The incident stays open until a person resolves it: that is correct.';
  }
  return `The incident stays open; being ${incident.severity}, it resolves itself after 3 clean sweeps.`;
}

/** A routine event: each phase and what it opened, how it closed, and the verdict. */
export function printRoutine(run: RoutineRun): void {
  for (const { phase, sweeps, opened, seenAgain } of run.phases) {
    const again = seenAgain.map((incident) => `${incidentLine(incident)} seen again`);
    const all = [...opened.map(incidentLine), ...again];
    const what = all.length === 0 ? style.dim('nothing opened') : all.join(', ');
    say(
      `    ${style.dim('phase')}     ${phase.what}, ${sweeps.length} sweep${sweeps.length === 1 ? '' : 's'}: ${what}`,
    );
  }
  const closed = run.opened.length - run.leftOpen.length;
  say(
    `    ${style.dim('closing')}   ${run.closingSweeps} more sweep${run.closingSweeps === 1 ? '' : 's'} (at most ${run.closingBound}): ${closed} of ${run.opened.length} closed by themselves`,
  );
  const ids = new Set([...run.opened, ...run.seenAgain].map((incident) => incident.id));
  const alerts = run.alerts.filter(
    (alert) => alert.incidentId !== undefined && ids.has(alert.incidentId),
  );
  const webhooks = alerts.filter((alert) => alert.channel === 'webhook');
  if (webhooks.length === 0) say(`    ${style.dim('alerts')}    none`);
  for (const [index, alert] of webhooks.entries())
    say(`    ${style.dim(index === 0 ? 'alerts' : '      ')}    ${alertLine(alert)}`);
  const slack = alerts.length - webhooks.length;
  if (slack > 0) say(`              ${style.dim(`and ${slack} Slack posts about the same`)}`);
  const problems = judgeRoutine(run);
  if (problems.length === 0) say(`  ${OK} ${ROUTINE_EXPECTATION}`);
  for (const problem of problems) say(`  ${FAIL} ${style.red(problem)}`);
}

function incidentLine(incident: IncidentSummary): string {
  return `${incident.kind} ${severityLabel(incident.severity)} (${incident.state})`;
}
