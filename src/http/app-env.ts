/** The Hono environment of the monitor's app, and what routes take from outside. */
import type { MonitorEnv } from '../env';
import type { SweepOptions, SweepRun } from '../jobs/sweep';
import type { OperatorVariables } from './operator-auth';

export type AppBindings = { Bindings: MonitorEnv; Variables: OperatorVariables };

/** Replaceable in tests: the clock and the sweep an operator starts. */
export interface AppDependencies {
  readonly now: () => Date;
  readonly runSweep: (env: MonitorEnv, options: SweepOptions) => Promise<SweepRun>;
}
