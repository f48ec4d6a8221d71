/**
 * The shape every end-to-end file shares: one stack (wrangler dev, the fixture site, the
 * alert inbox) for the whole file, started before its first test and stopped after its
 * last; an attack or a routine scenario per `describe`, run once before its tests, which
 * then read what it saw; the site reset after each.
 *
 * A scenario that needs a monitor change still landing on another branch is registered as
 * pending (`todo` in node:test): it runs and reports, but its failure does not fail the
 * suite until that change lands and the mark is removed. Its expectation is never lowered.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { resetSite, runAttack, TIMEOUTS } from '../demo/attack-run.ts';
import type { AttackRun } from '../demo/attack-run.ts';
import { matchesExpected } from '../demo/attacks.ts';
import type { AttackScenario } from '../demo/attacks.ts';
import type { SweepSummary } from '../demo/monitor-client.ts';
import { judgeRoutine, runRoutine } from '../demo/routine-run.ts';
import type { RoutineRun } from '../demo/routine-run.ts';
import type { RoutineScenario } from '../demo/routine-scenarios.ts';
import { startStack } from '../demo/stack.ts';
import type { Stack, StackOptions } from '../demo/stack.ts';

/** Starting wrangler dev on a loaded 2-core machine; every later wait has its own bound. */
const STACK_START_MS = 300_000;

export interface SuiteStack {
  /** The running stack; fails the test when it did not start. */
  (): Stack;
  /** The monitor's last lines of output, for failure messages. */
  log(): string;
  sweep(): Promise<SweepSummary>;
}

/** Starts one stack before the file's first test and stops it after its last. */
export function useStack(
  options: StackOptions,
  ready?: (stack: Stack) => Promise<void>,
): SuiteStack {
  let stack: Stack | undefined;
  before(
    async () => {
      stack = await startStack(options);
      await ready?.(stack);
    },
    { timeout: STACK_START_MS },
  );
  after(async () => {
    await stack?.stop();
  });
  const get = (() => {
    assert.ok(stack, 'the stack did not start');
    return stack;
  }) as SuiteStack;
  get.log = () => {
    // Without the suite's own polling of the API, which would fill the tail.
    const lines = (stack?.monitorProcess.recentOutput(200) ?? [])
      .filter((line) => !/\] GET \/api\/(incidents|sweeps)/.test(line))
      .slice(-25);
    return `\n--- wrangler dev, last lines ---\n${lines.join('\n')}`;
  };
  get.sweep = () => get().monitor.sweep(TIMEOUTS.sweepMs);
  return get;
}

/** `todo` for node:test when the scenario waits on another branch, else nothing. */
function pendingOption(pending: ReadonlyMap<string, string>, name: string): { todo?: string } {
  const reason = pending.get(name);
  return reason === undefined ? {} : { todo: `expected to fail until ${reason}` };
}

/**
 * The tests of one attack (`shape` is the scenario as built for names, before the site
 * ran; `scenarioNamed` gives the real one): the expected incident opens within the scenario's sweeps, what
 * else it must leave true holds, and a signed webhook about it arrives.
 */
export function describeAttack(
  stack: SuiteStack,
  shape: AttackScenario,
  scenarioNamed: (name: string) => AttackScenario,
  pending: ReadonlyMap<string, string> = new Map(),
): void {
  const { name } = shape;
  describe(`attack: ${name}`, () => {
    let run: AttackRun | undefined;
    const todo = pendingOption(pending, name);

    before(
      async () => {
        run = await runAttack(stack(), scenarioNamed(name));
      },
      { timeout: 600_000 },
    );
    after(async () => {
      await resetSite(stack());
    });

    it('opens an incident for the expected finding', todo, () => {
      assert.ok(run, 'the attack did not run');
      const { expect } = run.scenario;
      const sweeps = run.scenario.maxSweeps ?? 1;
      assert.ok(
        run.incident,
        `expected ${expect.kind} ${expect.severity} on ${expect.subject} within ${sweeps} sweep(s); ${run.problems.join('; ')}; the sweeps found ${JSON.stringify(
          run.sweeps.map((sweep) => sweep.findingKinds),
        )}; new incidents: ${JSON.stringify(
          run.alsoOpened.map((incident) => `${incident.fingerprint} ${incident.severity}`),
        )}${stack.log()}`,
      );
      assert.equal(run.incident.kind, expect.kind);
      assert.equal(run.incident.severity, expect.severity, run.incident.fingerprint);
      assert.ok(matchesExpected(run.incident, expect), run.incident.fingerprint);
      assert.notEqual(run.incident.state, 'resolved');
    });

    const checks = shape.checks ?? [];
    for (const [index, check] of checks.entries()) {
      // Titles name roles, not versions: those are known only once the site runs.
      const says =
        check.check === 'watched'
          ? 'still watches the release it aimed at (checks it in depth every sweep)'
          : 'never pins the release (no manifest entry in the transparency log)';
      it(says, todo, () => {
        assert.ok(run, 'the attack did not run');
        const result = run.checks[index];
        assert.ok(result, 'the check did not run');
        assert.equal(result.ok, true, `${JSON.stringify(result.check)}: ${result.detail}`);
      });
    }

    it('sends a signed webhook about it', todo, () => {
      assert.ok(run?.incident, 'no incident');
      const id = run.incident.id;
      const webhooks = run.alerts.filter(
        (alert) => alert.channel === 'webhook' && alert.incidentId === id,
      );
      assert.ok(webhooks.length > 0, `no webhook for ${id}: ${JSON.stringify(run.alerts)}`);
      assert.deepEqual(
        webhooks.filter((alert) => !alert.verified),
        [],
      );
    });
  });
}

/**
 * The tests of one routine event: no P0/P1 incident or alert, at most one incident per
 * cause in each phase, nothing left open once the monitor's clean sweeps have run, and
 * what must be watched at the end is.
 */
export function describeRoutine(
  stack: SuiteStack,
  shape: RoutineScenario,
  scenarioNamed: (name: string) => RoutineScenario,
  pending: ReadonlyMap<string, string> = new Map(),
): void {
  const { name } = shape;
  describe(`routine: ${name}`, () => {
    let run: RoutineRun | undefined;
    const todo = pendingOption(pending, name);
    const problems = (pattern: RegExp) => {
      assert.ok(run, 'the scenario did not run');
      return judgeRoutine(run).filter((problem) => pattern.test(problem));
    };

    before(
      async () => {
        run = await runRoutine(stack(), scenarioNamed(name));
      },
      { timeout: 900_000 },
    );
    after(async () => {
      await resetSite(stack());
    });

    it('opens no P0 or P1 incident and sends no P0 or P1 alert', todo, () => {
      const found = problems(/^P0\/P1/);
      assert.deepEqual(found, [], `${found.join('\n')}${stack.log()}`);
    });

    it('opens one incident per cause in each phase, as documented', todo, (t) => {
      for (const { phase, opened, seenAgain } of run?.phases ?? [])
        t.diagnostic(
          `${phase.what}: opened ${JSON.stringify(opened.map((one) => `${one.kind} ${one.severity} ${one.subject}`))}, seen again ${seenAgain.length}`,
        );
      assert.deepEqual(problems(/ opened \d+ incidents/), []);
    });

    it('leaves nothing open once its notices had their clean sweeps', todo, () => {
      assert.deepEqual(problems(/^left open/), []);
    });

    if ((shape.watchedAtEnd ?? []).length > 0) {
      it('ends with the monitor watching what the site now publishes', todo, () => {
        assert.deepEqual(problems(/did not watch/), []);
      });
    }
  });
}
