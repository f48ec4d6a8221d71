/**
 * The alarm's work: run every timer that is due, then point the alarm at the next one.
 * Alarms are at-least-once and a task stays in the schedule until its handler finished, so
 * a crash or an eviction mid-task means the task runs again, never that it is lost.
 */
import { createEvidenceStore } from '../adapters/evidence-store';
import { createCloudflarePurger } from '../adapters/cloudflare-purge';
import { createQuarantineStore } from '../adapters/quarantine-store';
import type { ReverifyPolicy } from '../adapters/reverify-url';
import { parseMonitorConfig } from '../core/config';
import { summarizeIncident } from '../core/incident';
import type { MonitorEnv } from '../env';
import { planTransition } from '../core/incident-lifecycle';
import type { PlaybookStep } from '../core/playbooks';
import type { IncidentEngine } from './incident-engine';
import { postStatus } from './incident-operations';
import type { RunContext } from './incident-playbook';
import { parseTask, type Task } from './incident-scheduler';
import { createRegionalReverify } from './region-reverify';

/** Tasks one alarm runs at most before handing over to the next alarm. */
const TASKS_PER_ALARM = 50;
/** How long a task that broke waits before it runs again. */
const BROKEN_TASK_DELAY_MS = 60_000;

export async function runDueTasks(engine: IncidentEngine): Promise<void> {
  const now = engine.now();
  for (let count = 0; count < TASKS_PER_ALARM; count += 1) {
    const [due] = engine.scheduler.due(now, 1);
    if (due === undefined) break;
    const task = parseTask(due.task);
    try {
      if (task === undefined) throw new Error(`unknown task ${due.task}`);
      await runTask(engine, task, now);
    } catch (error) {
      engine.store.append({
        at: now,
        actor: 'system',
        type: 'error',
        message: `Task ${due.task} broke; retrying later: ${String(error)}`,
      });
    }
    // A handler that neither finished nor re-armed its task must not spin the alarm.
    const again = task && engine.scheduler.dueAt(task);
    if (task === undefined) engine.scheduler.removeByName(due.task);
    else if (again !== undefined && again <= now)
      engine.scheduler.schedule(task, now + BROKEN_TASK_DELAY_MS);
  }
  await engine.scheduler.syncAlarm(true);
}

export async function runTask(engine: IncidentEngine, task: Task, now: number): Promise<void> {
  switch (task.kind) {
    case 'escalate':
      return engine.escalateOnTimer(now);
    case 'deliver': {
      const { env, deps, config } = engine.context();
      return engine.outbox.deliver(task.outboxId, now, {
        channels: deps.channels(env),
        links: config,
        retry: config.alertRetry,
        random: deps.random,
      });
    }
    case 'step':
      return engine.playbook.run(task.run, task.position, now, runContext(engine, now));
    case 'unquarantine':
      return liftQuarantine(engine, now);
    case 'sync-index':
      return syncIndex(engine, now);
  }
}

function runContext(engine: IncidentEngine, now: number): RunContext {
  const { env, deps, config } = engine.context();
  return {
    mode: config.containmentMode,
    retry: config.stepRetry,
    random: deps.random,
    services: {
      evidence: createEvidenceStore(env.EVIDENCE),
      quarantine: createQuarantineStore(env.QUARANTINE),
      purger: () =>
        createCloudflarePurger({
          apiToken: env.CLOUDFLARE_API_TOKEN,
          zoneId: env.CLOUDFLARE_ZONE_ID,
          fetch: deps.fetch,
          now: deps.now,
        }),
      // From the regions the finding names (caches are per data centre), else from here.
      reverify: createRegionalReverify(env, deps.reverify),
      reverifyPolicy: reverifyPolicyOf(env),
      postStatus: () => postStatus(engine, now),
    },
    onStepFailed: (step: PlaybookStep, detail: string) => {
      const stored = engine.store.read();
      if (stored !== undefined)
        engine.escalate(stored, now, `containment step ${step} failed: ${detail}`);
    },
    onRunFinished: (run, enforced) => {
      const stored = engine.store.read();
      if (stored === undefined || !enforced || stored.playbookRun !== run) return;
      const transition = planTransition(
        {
          state: stored.record.state,
          severity: stored.record.severity,
          kind: stored.record.kind,
          acknowledged: stored.record.acknowledgedAt !== undefined,
        },
        'contain',
        'system',
      );
      if (transition.ok)
        engine.apply(
          stored,
          transition.value,
          'system',
          now,
          `containment playbook run ${run} completed`,
        );
    },
    onLateQuarantine: () => engine.scheduler.schedule({ kind: 'unquarantine' }, now),
  };
}

/**
 * Re-verification fetches under the sweep's redirect rules: the dist host and
 * ALLOWED_REDIRECT_HOSTS. A configuration that does not parse allows only each URL's own
 * host, which is stricter, never looser.
 */
function reverifyPolicyOf(env: MonitorEnv): ReverifyPolicy {
  const parsed = parseMonitorConfig({ ...env });
  if (!parsed.ok) return { allowedRedirectHosts: [] };
  return {
    allowedRedirectHosts: [
      new URL(parsed.value.DIST_BASE_URL).hostname,
      ...parsed.value.ALLOWED_REDIRECT_HOSTS,
    ],
  };
}

/** Resolving lifts this incident's quarantine flags (and only this incident's). */
async function liftQuarantine(engine: IncidentEngine, now: number): Promise<void> {
  const stored = engine.store.read();
  if (stored === undefined || stored.record.state !== 'resolved') {
    engine.scheduler.cancel({ kind: 'unquarantine' });
    return;
  }
  const store = createQuarantineStore(engine.context().env.QUARANTINE);
  const outcomes: string[] = [];
  try {
    for (const url of engine.playbook.quarantinedUrls())
      outcomes.push(`${url}: ${await store.clear(url, stored.record.id)}`);
  } catch (error) {
    engine.scheduler.schedule({ kind: 'unquarantine' }, now + BROKEN_TASK_DELAY_MS);
    engine.store.append({
      at: now,
      actor: 'system',
      type: 'quarantine',
      message: `Lifting quarantine failed; retrying: ${String(error)}`,
    });
    return;
  }
  engine.scheduler.cancel({ kind: 'unquarantine' });
  engine.store.append({
    at: now,
    actor: 'system',
    type: 'quarantine',
    message: `Quarantine lifted: ${outcomes.join('; ')}`,
    data: { outcomes },
  });
}

/** Pushes the current summary to the index; the index ignores older versions. */
export async function syncIndex(engine: IncidentEngine, now: number): Promise<void> {
  const { env } = engine.context();
  const index = env.INCIDENT_INDEX.get(env.INCIDENT_INDEX.idFromName('index'));
  // A change made while a push is in flight is pushed by the next round.
  for (let round = 0; round < 3; round += 1) {
    const stored = engine.store.read();
    if (stored === undefined) break;
    try {
      await index.upsert(summarizeIncident(stored.record, stored.version));
    } catch (error) {
      engine.scheduler.schedule({ kind: 'sync-index' }, now + BROKEN_TASK_DELAY_MS / 2);
      console.error(`incident ${stored.record.id}: index sync failed`, String(error));
      return;
    }
    if (engine.store.read()?.version === stored.version) {
      engine.scheduler.cancel({ kind: 'sync-index' });
      return;
    }
  }
}
