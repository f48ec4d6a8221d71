/**
 * The playbook runner: a run is the finding kind's steps as rows in `playbook_steps`, run one
 * after another from the alarm. A step that asks for a retry is retried with backoff until
 * its budget ends, then marked failed and escalated, and the run goes on: a failed step is
 * never dropped and never blocks the steps after it. Resolving cancels what is pending.
 */
import { retryDelayMs, type RetryPolicy } from '../core/alerts';
import type { JsonObject, PlaybookStepView } from '../core/incident';
import type { ContainmentMode, PlaybookStep } from '../core/playbooks';
import { runContainmentStep, type StepOutcome, type StepServices } from './containment-steps';
import type { IncidentScheduler } from './incident-scheduler';
import type { IncidentStore } from './incident-store';
import type { IncidentSubjects } from './incident-subjects';

export interface RunContext {
  readonly mode: ContainmentMode;
  readonly retry: RetryPolicy;
  readonly random: () => number;
  readonly services: StepServices;
  /** Called (inside the step's transaction) when a step is marked failed. */
  readonly onStepFailed: (step: PlaybookStep, detail: string) => void;
  /** Called when the last step of a run finished; `enforced` = every step done in enforce mode. */
  readonly onRunFinished: (run: number, enforced: boolean) => void;
  /** Called when a quarantine step finished after the incident was resolved. */
  readonly onLateQuarantine: () => void;
}

interface StepRow extends Record<string, SqlStorageValue> {
  run: number;
  position: number;
  step: string;
  status: string;
  attempts: number;
  progress: string | null;
  result: string | null;
  updated_at: number | null;
}

const parse = (json: string | null): JsonObject | undefined =>
  json === null ? undefined : (JSON.parse(json) as JsonObject);

export class PlaybookRunner {
  constructor(
    private readonly storage: DurableObjectStorage,
    private readonly store: IncidentStore,
    private readonly scheduler: IncidentScheduler,
    private readonly subjects: IncidentSubjects,
  ) {}

  start(run: number, steps: readonly PlaybookStep[], mode: ContainmentMode, now: number): void {
    steps.forEach((step, position) => {
      this.storage.sql.exec(
        `INSERT OR IGNORE INTO playbook_steps (run, position, step, status, attempts, updated_at) VALUES (?, ?, ?, 'pending', 0, ?)`,
        run,
        position,
        step,
        now,
      );
    });
    if (steps.length > 0) this.scheduler.schedule({ kind: 'step', run, position: 0 }, now);
    this.store.append({
      at: now,
      actor: 'system',
      type: 'playbook',
      message: `Containment playbook run ${run} (${mode}): ${steps.join(', ')}`,
      data: { run, steps, mode },
    });
  }

  cancelPending(now: number): void {
    const pending = this.rows().filter((row) => row.status === 'pending');
    for (const row of pending) {
      this.storage.sql.exec(
        `UPDATE playbook_steps SET status = 'cancelled', updated_at = ? WHERE run = ? AND position = ?`,
        now,
        row.run,
        row.position,
      );
      this.scheduler.cancel({ kind: 'step', run: row.run, position: row.position });
    }
    if (pending.length > 0) {
      this.store.append({
        at: now,
        actor: 'system',
        type: 'playbook',
        message: `Cancelled pending containment steps: ${pending.map((r) => r.step).join(', ')}`,
      });
    }
  }

  async run(run: number, position: number, now: number, context: RunContext): Promise<void> {
    const task = { kind: 'step', run, position } as const;
    const row = this.row(run, position);
    const stored = this.store.read();
    if (row === undefined || row.status !== 'pending' || stored === undefined) {
      this.scheduler.cancel(task);
      return;
    }
    const step = row.step as PlaybookStep;
    const attempt = row.attempts + 1;
    this.storage.transactionSync(() => {
      this.storage.sql.exec(
        'UPDATE playbook_steps SET attempts = ?, updated_at = ? WHERE run = ? AND position = ?',
        attempt,
        now,
        run,
        position,
      );
      // Pushed back before running: if we die mid-step, the retry still waits its turn.
      this.scheduler.schedule(task, now + context.retry.baseDelayMs);
      this.store.append({
        at: now,
        actor: 'system',
        type: 'playbook',
        message: `Running ${step} (attempt ${attempt}, ${context.mode})`,
        data: { run, position, step, attempt },
      });
    });
    const outcome = await attemptStep({
      step,
      mode: context.mode,
      incidentId: stored.record.id,
      finding: stored.finding,
      members: this.subjects.findings(),
      progress: parse(row.progress),
      now,
      services: context.services,
    });
    this.storage.transactionSync(() => this.record(row, step, attempt, outcome, now, context));
  }

  private record(
    row: StepRow,
    step: PlaybookStep,
    attempt: number,
    outcome: StepOutcome,
    now: number,
    context: RunContext,
  ): void {
    const { run, position } = row;
    const task = { kind: 'step', run, position } as const;
    const result = { ...outcome.result, detail: outcome.detail, mode: context.mode };
    if (this.row(run, position)?.status !== 'pending') {
      // Resolved while the step ran: keep what it did on record, and undo a late quarantine.
      this.store.append({
        at: now,
        actor: 'system',
        type: 'playbook',
        message: `${step} finished after it was cancelled: ${outcome.detail}`,
        data: { run, position, result },
      });
      if (step === 'quarantine' && outcome.kind === 'done' && context.mode === 'enforce') {
        this.storage.sql.exec(
          'UPDATE playbook_steps SET result = ? WHERE run = ? AND position = ?',
          JSON.stringify(result),
          run,
          position,
        );
        context.onLateQuarantine();
      }
      return;
    }
    if (outcome.kind === 'retry' && attempt < context.retry.maxAttempts) {
      const delay = retryDelayMs(attempt, context.retry, context.random, outcome.retryAfterMs);
      this.storage.sql.exec(
        'UPDATE playbook_steps SET progress = COALESCE(?, progress), result = ? WHERE run = ? AND position = ?',
        outcome.progress === undefined ? null : JSON.stringify(outcome.progress),
        JSON.stringify(result),
        run,
        position,
      );
      this.scheduler.schedule(task, now + delay);
      this.store.append({
        at: now,
        actor: 'system',
        type: 'playbook',
        message: `${step} attempt ${attempt} did not succeed; retry in ${Math.round(delay / 1000)} s: ${outcome.detail}`,
        data: { run, position, result },
      });
      return;
    }
    const status = outcome.kind === 'done' ? 'done' : 'failed';
    const detail =
      outcome.kind === 'retry'
        ? `gave up after ${attempt} attempts: ${outcome.detail}`
        : outcome.detail;
    this.storage.sql.exec(
      'UPDATE playbook_steps SET status = ?, result = ?, updated_at = ? WHERE run = ? AND position = ?',
      status,
      JSON.stringify({ ...result, detail }),
      now,
      run,
      position,
    );
    this.scheduler.cancel(task);
    this.store.append({
      at: now,
      actor: 'system',
      type: 'playbook',
      message: `${step} ${status}: ${detail}`,
      data: { run, position, result },
    });
    if (status === 'failed') context.onStepFailed(step, detail);
    const next = this.row(run, position + 1);
    if (next !== undefined) {
      this.scheduler.schedule({ kind: 'step', run, position: position + 1 }, now);
    } else {
      const steps = this.rows().filter((r) => r.run === run);
      context.onRunFinished(
        run,
        steps.every((r) => r.status === 'done' && parse(r.result)?.['mode'] === 'enforce'),
      );
    }
  }

  /** URLs an enforced quarantine step flagged, in any run. */
  quarantinedUrls(): string[] {
    const urls = new Set<string>();
    for (const row of this.rows()) {
      const result = parse(row.result);
      if (
        row.step !== 'quarantine' ||
        result?.['mode'] !== 'enforce' ||
        !Array.isArray(result['urls'])
      )
        continue;
      for (const url of result['urls']) if (typeof url === 'string') urls.add(url);
    }
    return [...urls];
  }

  evidenceKeys(): string[] {
    const keys = new Set<string>();
    for (const row of this.rows()) {
      const result = parse(row.result);
      if (row.step !== 'capture-evidence' || !Array.isArray(result?.['keys'])) continue;
      for (const key of result['keys']) if (typeof key === 'string') keys.add(key);
    }
    return [...keys];
  }

  views(): PlaybookStepView[] {
    return this.rows().map((row) => ({
      run: row.run,
      position: row.position,
      step: row.step,
      status: row.status as PlaybookStepView['status'],
      attempts: row.attempts,
      ...(row.result !== null && { result: parse(row.result) }),
      ...(row.updated_at !== null && { updatedAt: new Date(row.updated_at).toISOString() }),
    }));
  }

  private row(run: number, position: number): StepRow | undefined {
    return this.storage.sql
      .exec<StepRow>('SELECT * FROM playbook_steps WHERE run = ? AND position = ?', run, position)
      .toArray()[0];
  }

  private rows(): StepRow[] {
    return this.storage.sql
      .exec<StepRow>('SELECT * FROM playbook_steps ORDER BY run, position')
      .toArray();
  }
}

/** An adapter error (R2, KV down) is a transient failure of the step, not of the alarm. */
async function attemptStep(input: Parameters<typeof runContainmentStep>[0]): Promise<StepOutcome> {
  try {
    return await runContainmentStep(input);
  } catch (error) {
    return {
      kind: 'retry',
      detail: `${input.step} threw: ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`,
    };
  }
}
