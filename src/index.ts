/**
 * The Worker's entry point: wires the HTTP app, the cron sweep, the queue consumers and
 * the Durable Object classes. It holds no logic of its own.
 */
import type { MonitorEnv } from './env';
import { createApp } from './http/app';
import { runSweep } from './jobs/sweep';

export { MonitorState } from './durable/monitor-state';
export { IncidentObject } from './durable/incident-object';
export { IncidentIndex } from './durable/incident-index';
export { RegionProbe } from './durable/region-probe';

const app = createApp();

export default {
  fetch: app.fetch,
  async scheduled(_controller, env) {
    // Awaited, not waitUntil: the invocation (and `wrangler dev`'s /__scheduled) ends with the sweep.
    const run = await runSweep(env, { trigger: 'cron' });
    if (run.status === 'busy')
      console.warn(`sweep skipped: ${run.runningSweepId} is still running`);
  },
  async queue(_batch, _env, _ctx) {},
} satisfies ExportedHandler<MonitorEnv>;
