/**
 * One alarm drives every timer of an incident (escalations, alert retries, playbook steps,
 * lifting quarantine, index sync). The timers live in the `schedule` table; the alarm is
 * always set to the earliest `due_at`. Alarms are at-least-once, so a task is removed only
 * by the handler that finished it, and every handler is idempotent.
 */

/** A timer. Encoded as the `schedule.task` primary key, so scheduling twice is one timer. */
export type Task =
  | { readonly kind: 'escalate' }
  | { readonly kind: 'deliver'; readonly outboxId: number }
  | { readonly kind: 'step'; readonly run: number; readonly position: number }
  | { readonly kind: 'unquarantine' }
  | { readonly kind: 'sync-index' };

export function taskName(task: Task): string {
  switch (task.kind) {
    case 'deliver':
      return `deliver:${task.outboxId}`;
    case 'step':
      return `step:${task.run}:${task.position}`;
    default:
      return task.kind;
  }
}

export function parseTask(name: string): Task | undefined {
  const [kind, a, b] = name.split(':');
  if (kind === 'escalate' || kind === 'unquarantine' || kind === 'sync-index') return { kind };
  if (kind === 'deliver' && a !== undefined) return { kind, outboxId: Number(a) };
  if (kind === 'step' && a !== undefined && b !== undefined)
    return { kind, run: Number(a), position: Number(b) };
  return undefined;
}

export class IncidentScheduler {
  constructor(private readonly storage: DurableObjectStorage) {}

  /** Sets (or moves) the task's due time. */
  schedule(task: Task, dueAt: number): void {
    this.storage.sql.exec(
      'INSERT INTO schedule (task, due_at) VALUES (?, ?) ON CONFLICT (task) DO UPDATE SET due_at = excluded.due_at',
      taskName(task),
      Math.round(dueAt),
    );
  }

  cancel(task: Task): void {
    this.storage.sql.exec('DELETE FROM schedule WHERE task = ?', taskName(task));
  }

  /** Drops a timer whose name no longer parses (written by an older version). */
  removeByName(name: string): void {
    this.storage.sql.exec('DELETE FROM schedule WHERE task = ?', name);
  }

  dueAt(task: Task): number | undefined {
    const row = this.storage.sql
      .exec<{ due_at: number }>('SELECT due_at FROM schedule WHERE task = ?', taskName(task))
      .toArray()[0];
    return row?.due_at;
  }

  /** Task names due at `now`, earliest first. */
  due(now: number, limit: number): { task: string; dueAt: number }[] {
    return this.storage.sql
      .exec<{ task: string; due_at: number }>(
        'SELECT task, due_at FROM schedule WHERE due_at <= ? ORDER BY due_at, task LIMIT ?',
        now,
        limit,
      )
      .toArray()
      .map((row) => ({ task: row.task, dueAt: row.due_at }));
  }

  /**
   * Points the alarm at the earliest timer, or clears it when none is left. `force` sets it
   * even when it looks unchanged: inside `alarm()` the running alarm may still be reported,
   * and is cleared when the handler returns.
   */
  async syncAlarm(force = false): Promise<void> {
    const row = this.storage.sql
      .exec<{ next: number | null }>('SELECT MIN(due_at) AS next FROM schedule')
      .one();
    const current = await this.storage.getAlarm();
    if (row.next === null) {
      if (current !== null) await this.storage.deleteAlarm();
    } else if (force || current !== row.next) {
      await this.storage.setAlarm(row.next);
    }
  }
}
