/**
 * The demo's closing summary: one row per attack or routine event with its expected
 * result, whether it came true, and the alerts it caused (webhooks, Slack posts and pages),
 * then the totals — the "pages per attack" the closing note quotes.
 */
import { addCounts } from './alert-count.ts';
import type { AlertCount } from './alert-count.ts';
import type { AttackRun } from './attack-run.ts';
import { FAIL, OK, say, style, table } from './output.ts';
import { judgeRoutine } from './routine-run.ts';
import type { RoutineRun } from './routine-run.ts';
import { ROUTINE_EXPECTATION } from './routine-scenarios.ts';
import type { Stack } from './stack.ts';

export type StepRun =
  | { readonly type: 'attack'; readonly run: AttackRun }
  | { readonly type: 'routine'; readonly run: RoutineRun };

/** The attack opened its expected incident at its severity. */
export function detected(run: AttackRun): boolean {
  return run.incident !== undefined && run.incident.severity === run.scenario.expect.severity;
}

export function asExpected(step: StepRun): boolean {
  return step.type === 'attack' ? detected(step.run) : judgeRoutine(step.run).length === 0;
}

function expectedText(step: StepRun): string {
  if (step.type === 'routine') return ROUTINE_EXPECTATION;
  const { kind, severity } = step.run.scenario.expect;
  return `${kind} ${severity}`;
}

function incidentText(step: StepRun): string {
  if (step.type === 'attack') return step.run.incident?.state ?? '-';
  const { opened, leftOpen } = step.run;
  if (opened.length === 0) return 'none';
  return `${opened.length} opened, ${leftOpen.length === 0 ? 'all closed' : `${leftOpen.length} open`}`;
}

function alertsText(count: AlertCount): string {
  const unverified = count.webhooks - count.verified;
  return `${count.webhooks} webhooks${unverified > 0 ? style.red(` (${unverified} unverified)`) : ''}, ${count.slack} Slack`;
}

export function summary(
  stack: Stack,
  steps: readonly StepRun[],
  counts: ReadonlyMap<string, AlertCount>,
  keep: boolean,
): void {
  say(style.bold('Summary'));
  const countOf = (step: StepRun) =>
    counts.get(step.run.scenario.name) ?? { webhooks: 0, verified: 0, slack: 0, pages: 0 };
  const rows = steps.map((step, index) => [
    String(index + 1),
    step.run.scenario.name,
    expectedText(step),
    asExpected(step) ? OK : FAIL,
    incidentText(step),
    alertsText(countOf(step)),
    String(countOf(step).pages),
  ]);
  for (const line of table(
    ['#', 'attack or event', 'expected', 'as expected', 'incidents', 'alerts', 'pages'],
    rows,
  ))
    say(`  ${line}`);

  const good = steps.filter(asExpected).length;
  const total = addCounts(steps.map(countOf));
  const attacks = steps.filter((step) => step.type === 'attack');
  const attackPages = addCounts(attacks.map(countOf)).pages;
  const routinePages = total.pages - attackPages;
  const perAttack = attacks.length === 0 ? 0 : attackPages / attacks.length;
  say();
  say(
    `  ${good === steps.length ? OK : FAIL} ${good} of ${steps.length} as expected · status page ${stack.monitor.origin}/`,
  );
  say(
    `  alerts: ${total.webhooks + total.slack} in all (${total.webhooks} webhooks, ${total.slack} Slack posts) · ${total.pages} pages: ${perAttack.toFixed(1)} per attack over ${attacks.length} attacks, ${routinePages} for the routine events`,
  );
  say(
    style.dim(
      '  A page is an incident opened, reopened, escalated or raised in severity (once per channel; counted on the webhooks).',
    ),
  );
  if (!keep) {
    say(
      style.dim(
        '  Run with --keep to look around the status page and the API before everything stops.',
      ),
    );
  }
  say();
}
