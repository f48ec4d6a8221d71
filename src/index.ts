/**
 * The Worker's entry point: wires the HTTP app, the cron sweep, the queue consumers and
 * the Durable Object classes. It holds no logic of its own.
 */
import { withDurableObjectSentry, withMonitorSentry } from './adapters/sentry';
import { IncidentIndex as IncidentIndexClass } from './durable/incident-index';
import { IncidentObject as IncidentObjectClass } from './durable/incident-object';
import { LogSequencer as LogSequencerClass } from './durable/log-sequencer';
import { MonitorState as MonitorStateClass } from './durable/monitor-state';
import { RegionProbe as RegionProbeClass } from './durable/region-probe';
import { SnapshotWriter as SnapshotWriterClass } from './durable/snapshot-writer';
import type { MonitorEnv } from './env';
import { createApp } from './http/app';
import { handleQueueBatch } from './jobs/hash-consumer';
import { runSweep } from './jobs/sweep';

// Each Durable Object reports its errors to Sentry; the type names stay the classes'.
export const MonitorState = withDurableObjectSentry(MonitorStateClass);
export type MonitorState = MonitorStateClass;
export const IncidentObject = withDurableObjectSentry(IncidentObjectClass);
export type IncidentObject = IncidentObjectClass;
export const IncidentIndex = withDurableObjectSentry(IncidentIndexClass);
export type IncidentIndex = IncidentIndexClass;
export const RegionProbe = withDurableObjectSentry(RegionProbeClass);
export type RegionProbe = RegionProbeClass;
export const LogSequencer = withDurableObjectSentry(LogSequencerClass);
export type LogSequencer = LogSequencerClass;
export const SnapshotWriter = withDurableObjectSentry(SnapshotWriterClass);
export type SnapshotWriter = SnapshotWriterClass;

const app = createApp();

// Sentry: errors of every handler, and cron check-ins of the sweep (adapters/sentry.ts).
export default withMonitorSentry({
  fetch: app.fetch,
  async scheduled(_controller, env) {
    // Awaited, not waitUntil: the invocation (and `wrangler dev`'s /__scheduled) ends with the sweep.
    const run = await runSweep(env, { trigger: 'cron' });
    if (run.status === 'busy')
      console.warn(`sweep skipped: ${run.runningSweepId} is still running`);
  },
  queue: handleQueueBatch,
} satisfies ExportedHandler<MonitorEnv>);
