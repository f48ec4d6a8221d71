/** The Hono environment of the monitor's app, and what routes take from outside. */
import type { MonitorEnv } from '../env';
import type { SweepOptions, SweepRun } from '../jobs/sweep';
import type { OperatorVariables } from './operator-auth';

export type AppBindings = { Bindings: MonitorEnv; Variables: OperatorVariables };

/** Replaceable in tests: the clock, the sweep an operator starts, the public pages' cache. */
export interface AppDependencies {
  readonly now: () => Date;
  readonly runSweep: (env: MonitorEnv, options: SweepOptions) => Promise<SweepRun>;
  /** The Cache API cache public answers go through (`caches.default`); none = no caching. */
  readonly publicCache: () => Cache | undefined;
}
