/**
 * One routine scenario against a running stack, the way both the demo and the end-to-end
 * tests do it: for each phase apply its commands and sweep, note the incidents it opened;
 * then keep sweeping (at most the clean sweeps the monitor needs to close a notice, plus
 * one) until every incident the scenario opened is resolved. What it saw is returned as
 * data; `judgeRoutine` says what does not meet the shared expectation.
 */
import type { IncidentSummary, SweepSummary } from './monitor-client.ts';
import type { ReceivedAlert } from './receiver.ts';
import type { RoutinePhase, RoutineScenario } from './routine-scenarios.ts';
import type { Stack } from './stack.ts';
import { TIMEOUTS } from './attack-run.ts';
import { sleep } from './waiting.ts';

/** wrangler.toml's AUTO_RESOLVE_CLEAN_SWEEPS, unless the stack sets another. */
const DEFAULT_AUTO_RESOLVE_CLEAN_SWEEPS = 3;

/** Hash jobs and containment steps run after a sweep returns: polls until nothing changes. */
const SETTLE = { intervalMs: 1_500, stablePolls: 3, maxMs: 45_000 } as const;

export interface PhaseRun {
  readonly phase: RoutinePhase;
  readonly sweeps: readonly SweepSummary[];
  /** Incidents this phase opened, as they were at its end. */
  readonly opened: readonly IncidentSummary[];
  /** Incidents open before the scenario that this phase's sweeps saw again. */
  readonly seenAgain: readonly IncidentSummary[];
}

export interface RoutineRun {
  readonly scenario: RoutineScenario;
  readonly phases: readonly PhaseRun[];
  /** Every incident the scenario opened (or reopened), as it is at the end. */
  readonly opened: readonly IncidentSummary[];
  /** Of those, the ones not resolved at the end. */
  readonly leftOpen: readonly IncidentSummary[];
  /**
   * Incidents older than the scenario that its phases saw again: the event was reported,
   * only on an incident another attack had left open.
   */
  readonly seenAgain: readonly IncidentSummary[];
  /** Sweeps after the last phase until nothing was left open (or the bound). */
  readonly closingSweeps: number;
  /** The bound on them: the clean sweeps that close a notice, plus one. */
  readonly closingBound: number;
  /** The last sweep of all. */
  readonly lastSweep: SweepSummary;
  /** Every alert the inbox got during the scenario. */
  readonly alerts: readonly ReceivedAlert[];
}

export interface RoutineHooks {
  /** Called with what is happening now, for a progress line. */
  readonly onStep?: (step: string) => void;
}

/** The clean sweeps after which the stack's monitor resolves a P2/P3 notice by itself. */
export function autoResolveSweeps(stack: Stack): number {
  const value = Number(
    stack.vars['AUTO_RESOLVE_CLEAN_SWEEPS'] ?? DEFAULT_AUTO_RESOLVE_CLEAN_SWEEPS,
  );
  return Number.isSafeInteger(value) && value > 0 ? value : DEFAULT_AUTO_RESOLVE_CLEAN_SWEEPS;
}

export async function runRoutine(
  stack: Stack,
  scenario: RoutineScenario,
  hooks: RoutineHooks = {},
): Promise<RoutineRun> {
  const step = hooks.onStep ?? (() => {});
  const before = new Map((await stack.monitor.incidents()).map((one) => [one.id, one]));
  const alertsBefore = stack.receiver.alerts.length;
  // New incidents, and old ones that were resolved and came back.
  const isCaused = (incident: IncidentSummary) => {
    const earlier = before.get(incident.id);
    return earlier === undefined || (earlier.state === 'resolved' && incident.state !== 'resolved');
  };
  const caused = new Set<string>();
  const seenAgain = new Map<string, IncidentSummary>();
  let inPhase = true;
  const sweepOnce = async () => {
    const summary = await stack.monitor.sweep(TIMEOUTS.sweepMs);
    step('letting hash jobs and containment settle');
    const now = await settle(stack);
    for (const incident of now) {
      if (isCaused(incident)) caused.add(incident.id);
      else if (inPhase && incident.lastSeen !== before.get(incident.id)?.lastSeen)
        seenAgain.set(incident.id, incident);
    }
    return summary;
  };

  const phases: PhaseRun[] = [];
  let lastSweep: SweepSummary | undefined;
  for (const phase of scenario.phases) {
    step(phase.what);
    const known = new Set(caused);
    const knownAgain = new Set(seenAgain.keys());
    for (const command of phase.commands) await stack.site.apply(command);
    const sweeps: SweepSummary[] = [];
    for (let number = 0; number < (phase.sweeps ?? 1); number += 1) {
      step(`${phase.what}: sweeping`);
      sweeps.push(await sweepOnce());
    }
    lastSweep = sweeps.at(-1) ?? lastSweep;
    const all = await stack.monitor.incidents();
    phases.push({
      phase,
      sweeps,
      opened: all.filter((incident) => caused.has(incident.id) && !known.has(incident.id)),
      seenAgain: [...seenAgain.values()].filter((incident) => !knownAgain.has(incident.id)),
    });
  }
  inPhase = false;

  const closingBound = autoResolveSweeps(stack) + 1;
  let closingSweeps = 0;
  let current = await stack.monitor.incidents();
  const open = () =>
    current.filter((incident) => caused.has(incident.id) && incident.state !== 'resolved');
  while (open().length > 0 && closingSweeps < closingBound) {
    step(`sweeping until its notices close (${closingSweeps + 1} of at most ${closingBound})`);
    lastSweep = await sweepOnce();
    closingSweeps += 1;
    current = await stack.monitor.incidents();
  }
  if (lastSweep === undefined) lastSweep = await sweepOnce();

  const opened = current.filter((incident) => caused.has(incident.id));
  return {
    scenario,
    phases,
    opened,
    leftOpen: opened.filter((incident) => incident.state !== 'resolved'),
    seenAgain: [...seenAgain.values()],
    closingSweeps,
    closingBound,
    lastSweep,
    alerts: stack.receiver.alerts.slice(alertsBefore),
  };
}

/**
 * What does not meet the expectation: a P0 or P1 incident or alert (or an older P0/P1
 * incident the event was seen as again), an incident left open,
 * a phase that opened more incidents than it has causes (or fewer than it must), a release
 * not watched at the end. Empty when the scenario behaved.
 */
export function judgeRoutine(run: RoutineRun): string[] {
  const problems: string[] = [];
  const describe = (incident: IncidentSummary) =>
    `${incident.kind} ${incident.severity} ${incident.state} on ${incident.subject}`;
  const isSerious = (one: IncidentSummary) => one.severity === 'P0' || one.severity === 'P1';
  const serious = run.opened.filter(isSerious);
  if (serious.length > 0) problems.push(`P0/P1 incidents: ${serious.map(describe).join('; ')}`);
  const again = run.seenAgain.filter(isSerious);
  if (again.length > 0)
    problems.push(`P0/P1 incidents seen again (already open): ${again.map(describe).join('; ')}`);
  const ids = new Set(run.opened.map((incident) => incident.id));
  const seriousAlerts = run.alerts.filter(
    (alert) =>
      (alert.severity === 'P0' || alert.severity === 'P1') &&
      (alert.incidentId === undefined || ids.has(alert.incidentId)),
  );
  if (seriousAlerts.length > 0)
    problems.push(`P0/P1 alerts: ${seriousAlerts.map((alert) => alert.text).join('; ')}`);
  if (run.leftOpen.length > 0)
    problems.push(
      `left open after ${run.closingSweeps} more sweeps: ${run.leftOpen.map(describe).join('; ')}`,
    );
  for (const { phase, opened } of run.phases) {
    if (phase.maxNewIncidents !== undefined && opened.length > phase.maxNewIncidents)
      problems.push(
        `"${phase.what}" opened ${opened.length} incidents, at most ${phase.maxNewIncidents} expected (one per cause): ${opened
          .slice(0, 5)
          .map(describe)
          .join('; ')}${opened.length > 5 ? '; …' : ''}`,
      );
    if (phase.minNewIncidents !== undefined && opened.length < phase.minNewIncidents)
      problems.push(
        `"${phase.what}" opened ${opened.length} incidents, at least ${phase.minNewIncidents} expected`,
      );
  }
  for (const version of run.scenario.watchedAtEnd ?? []) {
    if (!run.lastSweep.releases.includes(version))
      problems.push(
        `the last sweep did not watch ${version} (it watched ${run.lastSweep.releases.join(', ')})`,
      );
  }
  return problems;
}

/**
 * Polls the incident list until it has not changed for a few polls (hash jobs and
 * containment steps that follow a sweep have landed), within a bound, and returns it.
 */
export async function settle(stack: Stack): Promise<IncidentSummary[]> {
  const deadline = Date.now() + SETTLE.maxMs;
  const view = (list: readonly IncidentSummary[]) =>
    JSON.stringify(list.map((one) => [one.id, one.state, one.severity, one.lastSeen]));
  let list = await stack.monitor.incidents();
  let stable = 0;
  while (stable < SETTLE.stablePolls && Date.now() < deadline) {
    await sleep(SETTLE.intervalMs);
    const next = await stack.monitor.incidents();
    stable = view(next) === view(list) ? stable + 1 : 0;
    list = next;
  }
  return list;
}
