/**
 * What an IncidentObject takes from outside, in one replaceable bundle: the clock, the
 * random source for jitter, the alert channels, re-verification, outbound fetch, and a view
 * of the environment. Production uses the defaults; tests replace
 * `IncidentObject.dependencies` to inject a clock, recording channels or secrets.
 */
import { createAlertChannels } from '../adapters/alert-channels';
import { createReverify, type ReverifyFunction } from '../adapters/reverify-url';
import type { AlertChannel } from '../core/alerts';
import type { MonitorEnv } from '../env';

export interface IncidentDependencies {
  /** Epoch milliseconds. */
  readonly now: () => number;
  /** In [0, 1): retry jitter. */
  readonly random: () => number;
  readonly channels: (env: MonitorEnv) => readonly AlertChannel[];
  readonly reverify: ReverifyFunction;
  /** Used for the Cloudflare API. Late-bound, so a spy on `globalThis.fetch` sees calls. */
  readonly fetch: typeof fetch;
  /** The environment the object works with (tests add vars or secrets here). */
  readonly env: (env: MonitorEnv) => MonitorEnv;
}

export function defaultIncidentDependencies(): IncidentDependencies {
  return {
    now: () => Date.now(),
    random: () => Math.random(),
    channels: (env) => createAlertChannels(env),
    reverify: createReverify(),
    fetch: (input, init) => fetch(input, init),
    env: (env) => env,
  };
}
