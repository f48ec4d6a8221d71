/**
 * IncidentObject: one per finding fingerprint (`INCIDENT.idFromName(fingerprint)`),
 * SQLite-backed. Its RPC methods are the incident API used by the sweep
 * (`observe`, `cleanSweep`), by HTTP and Slack (`acknowledge`, `contain`, `resolve`,
 * `addNote`, `disclose`, `changeSeverity`, `get`, `postmortem`). Every method returns a
 * `Result`: a refused request is an `IncidentRefusal`, never an exception. Its one alarm
 * runs escalations, alert deliveries, playbook steps, quarantine lifting and index sync.
 */
import { DurableObject } from 'cloudflare:workers';
import type { Finding } from '../core/findings';
import type { IncidentDetail, IncidentRecord } from '../core/incident';
import {
  DEFAULT_INCIDENT_CONFIG,
  parseIncidentConfig,
  type IncidentConfig,
} from '../core/incident-config';
import type { IncidentRefusal } from '../core/incident-lifecycle';
import { parseContainmentMode } from '../core/playbooks';
import type { Result } from '../core/result';
import type { MonitorEnv } from '../env';
import { defaultIncidentDependencies, type IncidentDependencies } from './incident-dependencies';
import { IncidentEngine, type EngineContext } from './incident-engine';
import * as operations from './incident-operations';
import * as sightings from './incident-sightings';
import type { ObserveOptions, ObserveOutcome } from './incident-sightings';
import { cleanSweep, type CleanSweepOutcome } from './incident-clean-sweep';
import { createIncidentTables } from './incident-schema';
import { runDueTasks, syncIndex } from './incident-tasks';

export type { ObserveOptions, ObserveOutcome } from './incident-sightings';
export type { CleanSweepOutcome } from './incident-clean-sweep';

export class IncidentObject extends DurableObject<MonitorEnv> {
  /** Replaceable in tests (clock, channels, secrets); read on every call. */
  static dependencies: IncidentDependencies = defaultIncidentDependencies();

  private readonly engine: IncidentEngine;

  constructor(ctx: DurableObjectState, env: MonitorEnv) {
    super(ctx, env);
    void ctx.blockConcurrencyWhile(async () => createIncidentTables(ctx.storage.sql));
    this.engine = new IncidentEngine(ctx.storage, () => this.engineContext());
  }

  /**
   * Records a sweep's sighting: opens, updates (deduplicated per sweep) or reopens. A group
   * finding comes with its members; `holdAlerts` records alerts as held back (alert cap).
   */
  async observe(
    finding: Finding,
    sweepId: string,
    options?: ObserveOptions,
  ): Promise<Result<ObserveOutcome, IncidentRefusal>> {
    return this.settle(await sightings.observe(this.engine, finding, sweepId, options));
  }

  /** A sweep that checked this kind did not see the finding; may auto-resolve. */
  async cleanSweep(
    sweepId: string,
    options?: Pick<ObserveOptions, 'holdAlerts'>,
  ): Promise<Result<CleanSweepOutcome, IncidentRefusal>> {
    return this.settle(cleanSweep(this.engine, sweepId, options));
  }

  /**
   * The sweep's alert cap held alerts back: this incident (the most severe of them) carries
   * the one alert that says so. Once per sweep.
   */
  async alertsHeld(sweepId: string, detail: string): Promise<Result<boolean, IncidentRefusal>> {
    return this.settle(operations.alertsHeld(this.engine, sweepId, detail));
  }

  /** Writes a refused request in the timeline (e.g. a Slack user not allowed to resolve). */
  async recordRefusal(
    actor: string,
    operation: string,
    reason: string,
  ): Promise<Result<IncidentRecord, IncidentRefusal>> {
    return this.settle(operations.recordRefusal(this.engine, actor, operation, reason));
  }

  async acknowledge(actor: string): Promise<Result<IncidentRecord, IncidentRefusal>> {
    return this.settle(this.engine.act(actor, 'acknowledge'));
  }

  /** An operator records that the harm has stopped (the playbook does this in enforce mode). */
  async contain(actor: string, note?: string): Promise<Result<IncidentRecord, IncidentRefusal>> {
    return this.settle(this.engine.act(actor, 'contain', note));
  }

  async resolve(actor: string, note?: string): Promise<Result<IncidentRecord, IncidentRefusal>> {
    return this.settle(this.engine.act(actor, 'resolve', note));
  }

  async addNote(actor: string, text: string): Promise<Result<IncidentRecord, IncidentRefusal>> {
    return this.settle(operations.addNote(this.engine, actor, text));
  }

  async disclose(actor: string): Promise<Result<IncidentRecord, IncidentRefusal>> {
    return this.settle(operations.disclose(this.engine, actor));
  }

  async changeSeverity(
    actor: string,
    severity: string,
    reason: string,
  ): Promise<Result<IncidentRecord, IncidentRefusal>> {
    return this.settle(operations.changeSeverity(this.engine, actor, severity, reason));
  }

  /** The incident with its timeline, containment steps, deliveries and evidence keys. */
  get(): Result<IncidentDetail, IncidentRefusal> {
    return this.engine.detail();
  }

  /** The post-incident review draft, in Markdown. */
  postmortem(): Result<string, IncidentRefusal> {
    return this.engine.postmortem();
  }

  override async alarm(): Promise<void> {
    await runDueTasks(this.engine);
  }

  /** After a change: push the index now (the alarm retries if that fails) and re-arm the alarm. */
  private async settle<T>(result: T): Promise<T> {
    if (this.engine.scheduler.dueAt({ kind: 'sync-index' }) !== undefined) {
      await syncIndex(this.engine, this.engine.now());
    }
    await this.engine.scheduler.syncAlarm();
    return result;
  }

  private engineContext(): EngineContext {
    const deps = IncidentObject.dependencies;
    const env = deps.env(this.env);
    return { env, deps, config: incidentConfigOf(env) };
  }
}

/**
 * A broken incident var must not stop incidents from being recorded and alerted: the
 * object falls back to the defaults (always dry-run unless CONTAINMENT_MODE is exactly
 * `enforce`) and says so in the log.
 */
function incidentConfigOf(env: MonitorEnv): IncidentConfig {
  const parsed = parseIncidentConfig({ ...env });
  if (parsed.ok) return parsed.value;
  console.error(
    'incident configuration invalid, using defaults:',
    parsed.error.problems.join('; '),
  );
  return {
    ...DEFAULT_INCIDENT_CONFIG,
    containmentMode: parseContainmentMode(env.CONTAINMENT_MODE),
  };
}
