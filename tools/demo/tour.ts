/**
 * What `npm run demo` walks through, in order: attacks on the files (attacks.ts), a site
 * that tells the monitor apart (adversary-attacks.ts, issue 13), and the release worker's
 * routine events, which must page nobody, with the one production behaviour that must be
 * found (routine-scenarios.ts, issue 14). `--quick` keeps a few of each kind.
 */
import { adversaryScenarios } from './adversary-attacks.ts';
import { attackScenarios } from './attacks.ts';
import type { AttackScenario, AttackTarget } from './attacks.ts';
import { cacheable404Scenario, routineScenarios } from './routine-scenarios.ts';
import type { RoutineScenario } from './routine-scenarios.ts';

export type TourSection = 'attacks' | 'adversary' | 'routine';

export const SECTION_TITLES: Record<TourSection, string> = {
  attacks: 'Attacks on the files',
  adversary: 'A site that tells the monitor apart (it sees cf-worker on every request)',
  routine: 'Routine events of the release worker: nobody should be paged',
};

export type TourStep =
  | { readonly type: 'attack'; readonly section: TourSection; readonly scenario: AttackScenario }
  | {
      readonly type: 'routine';
      readonly section: TourSection;
      readonly scenario: RoutineScenario;
    };

export function demoTour(target: AttackTarget, quick: boolean): TourStep[] {
  const keep = (scenario: { readonly quick: boolean; readonly inDemo?: boolean }) =>
    scenario.inDemo !== false && (!quick || scenario.quick);
  const attack = (section: TourSection) => (scenario: AttackScenario) => ({
    type: 'attack' as const,
    section,
    scenario,
  });
  return [
    ...attackScenarios(target).filter(keep).map(attack('attacks')),
    ...adversaryScenarios(target).filter(keep).map(attack('adversary')),
    ...routineScenarios(target)
      .filter(keep)
      .map((scenario) => ({ type: 'routine' as const, section: 'routine' as const, scenario })),
    ...[cacheable404Scenario(target)].filter(keep).map(attack('routine')),
  ];
}

export function stepName(step: TourStep): string {
  return step.scenario.name;
}
