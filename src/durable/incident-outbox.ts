/**
 * The alert outbox: every notification is a row in SQLite before any channel sees it, so a
 * crash, an eviction or a failing channel loses nothing. Deliveries run from the alarm,
 * retry with backoff and jitter until the retry budget ends, and a message that finally
 * fails is itself alerted on the other channels (`delivery-failed`, never alerted twice).
 */
import {
  createAlertMessage,
  idempotencyKeyOf,
  planDelivery,
  selectChannels,
  type AlertChannel,
  type AlertEvent,
  type AlertLinks,
  type AlertMessage,
  type DeliveryOutcome,
  type RetryPolicy,
} from '../core/alerts';
import type { IncidentRecord, OutboxView } from '../core/incident';
import type { IncidentScheduler } from './incident-scheduler';
import type { IncidentStore } from './incident-store';

export interface EnqueueOptions {
  /** Only these channels (escalation targets). */
  readonly only?: readonly string[];
  readonly except?: readonly string[];
  readonly escalationLevel?: number;
  readonly detail?: string;
}

export interface DeliveryDeps {
  readonly channels: readonly AlertChannel[];
  readonly links: AlertLinks;
  readonly retry: RetryPolicy;
  readonly random: () => number;
}

interface OutboxRow extends Record<string, SqlStorageValue> {
  id: number;
  channel: string;
  event: string;
  message: string;
  idempotency_key: string;
  attempts: number;
  next_at: number | null;
  status: string;
  last_detail: string | null;
}

export class IncidentOutbox {
  constructor(
    private readonly storage: DurableObjectStorage,
    private readonly store: IncidentStore,
    private readonly scheduler: IncidentScheduler,
  ) {}

  /** Writes one row per accepting channel and schedules its delivery now. */
  enqueue(
    record: IncidentRecord,
    event: AlertEvent,
    deps: Omit<DeliveryDeps, 'retry' | 'random'>,
    now: number,
    options: EnqueueOptions = {},
  ): string[] {
    const message = createAlertMessage(record, event, deps.links, options);
    let targets = selectChannels(deps.channels, record.severity, event, options);
    if (targets.length === 0 && options.only !== undefined) {
      // An escalation target that is not configured must not swallow the escalation.
      targets = selectChannels(deps.channels, record.severity, event, {
        ...(options.except && { except: options.except }),
      });
    }
    const names = targets.map((channel) => channel.name);
    this.storage.transactionSync(() => {
      for (const name of names) {
        const id = this.storage.sql
          .exec<{ id: number }>('SELECT COALESCE(MAX(id), 0) + 1 AS id FROM outbox')
          .one().id;
        this.storage.sql.exec(
          `INSERT INTO outbox (id, channel, event, message, idempotency_key, attempts, next_at, status, created_at)
           VALUES (?, ?, ?, ?, ?, 0, ?, 'pending', ?)`,
          id,
          name,
          event,
          JSON.stringify(message),
          idempotencyKeyOf(record.id, id),
          now,
          now,
        );
        this.scheduler.schedule({ kind: 'deliver', outboxId: id }, now);
      }
      this.store.append({
        at: now,
        actor: 'system',
        type: 'alert',
        message:
          names.length > 0
            ? `Queued ${event} alert for ${names.join(', ')}${options.escalationLevel ? ` (escalation ${options.escalationLevel})` : ''}`
            : `No alert channel accepts ${event} for ${record.severity}; nothing sent`,
        data: {
          event,
          channels: names,
          ...(options.detail !== undefined && { detail: options.detail }),
        },
      });
    });
    return names;
  }

  /** One delivery attempt of one row; idempotent for rows that are no longer pending. */
  async deliver(outboxId: number, now: number, deps: DeliveryDeps): Promise<void> {
    const task = { kind: 'deliver', outboxId } as const;
    const row = this.storage.sql
      .exec<OutboxRow>('SELECT * FROM outbox WHERE id = ?', outboxId)
      .toArray()[0];
    if (row === undefined || row.status !== 'pending') {
      this.scheduler.cancel(task);
      return;
    }
    const channel = deps.channels.find((candidate) => candidate.name === row.channel);
    const actor = `channel:${row.channel}` as const;
    if (channel === undefined) {
      this.finish(row, 'disabled', row.attempts, now, 'the channel is no longer configured', deps);
      return;
    }
    const attempt = row.attempts + 1;
    this.storage.transactionSync(() => {
      // Counted and pushed back before sending: if we die mid-send, the retry still waits.
      this.storage.sql.exec(
        'UPDATE outbox SET attempts = ?, next_at = ? WHERE id = ?',
        attempt,
        now,
        outboxId,
      );
      this.scheduler.schedule(task, now + deps.retry.baseDelayMs);
      this.store.append({
        at: now,
        actor,
        type: 'alert',
        message: `Delivering ${row.event} alert (attempt ${attempt})`,
        data: { outboxId, attempt },
      });
    });
    const outcome = await attemptDelivery(
      channel,
      JSON.parse(row.message) as AlertMessage,
      row.idempotency_key,
      attempt,
    );
    const decision = planDelivery(outcome, attempt, deps.retry, deps.random);
    const detail = outcome.detail ?? '';
    if (decision.status === 'pending') {
      this.storage.transactionSync(() => {
        this.storage.sql.exec(
          'UPDATE outbox SET next_at = ?, last_detail = ? WHERE id = ?',
          now + decision.delayMs,
          detail,
          outboxId,
        );
        this.scheduler.schedule(task, now + decision.delayMs);
        this.store.append({
          at: now,
          actor,
          type: 'alert',
          message: `Attempt ${attempt} of ${row.event} alert failed; retry in ${Math.round(decision.delayMs / 1000)} s: ${detail}`,
          data: { outboxId, attempt, outcome: outcome.kind },
        });
      });
      return;
    }
    const reason =
      decision.status === 'failed' && decision.reason === 'budget-exhausted'
        ? `retry budget of ${deps.retry.maxAttempts} attempts exhausted: ${detail}`
        : detail;
    this.finish(row, decision.status, attempt, now, reason, deps);
  }

  private finish(
    row: OutboxRow,
    status: 'delivered' | 'failed' | 'disabled',
    attempts: number,
    now: number,
    detail: string,
    deps: DeliveryDeps,
  ): void {
    this.storage.transactionSync(() => {
      this.storage.sql.exec(
        'UPDATE outbox SET status = ?, attempts = ?, next_at = NULL, last_detail = ? WHERE id = ?',
        status,
        attempts,
        detail,
        row.id,
      );
      this.scheduler.cancel({ kind: 'deliver', outboxId: row.id });
      this.store.append({
        at: now,
        actor: `channel:${row.channel}`,
        type: 'alert',
        message:
          status === 'delivered'
            ? `Delivered ${row.event} alert (attempt ${attempts})`
            : `${row.event} alert ${status}: ${detail}`,
        data: { outboxId: row.id, attempts, status },
      });
      const record = this.store.read()?.record;
      // A failed delivery-failed alert is recorded, not alerted again: that way lies a loop.
      if (status !== 'delivered' && row.event !== 'delivery-failed' && record !== undefined) {
        this.enqueue(record, 'delivery-failed', deps, now, {
          except: [row.channel],
          detail: `The ${row.event} alert could not be delivered to ${row.channel} (${status}): ${detail}`,
        });
      }
    });
  }

  views(): OutboxView[] {
    return this.storage.sql
      .exec<OutboxRow>('SELECT * FROM outbox ORDER BY id')
      .toArray()
      .map((row) => ({
        id: row.id,
        channel: row.channel,
        event: row.event,
        status: row.status as OutboxView['status'],
        attempts: row.attempts,
        ...(row.status === 'pending' &&
          row.next_at !== null && { nextAt: new Date(row.next_at).toISOString() }),
        ...(row.last_detail !== null && { lastDetail: row.last_detail }),
      }));
  }
}

/** A channel that throws or answers nonsense is treated as a transient failure. */
async function attemptDelivery(
  channel: AlertChannel,
  message: AlertMessage,
  idempotencyKey: string,
  attempt: number,
): Promise<DeliveryOutcome> {
  try {
    const outcome = await channel.deliver(message, { idempotencyKey, attempt });
    if (outcome && ['delivered', 'retry', 'failed', 'disabled'].includes(outcome.kind))
      return outcome;
    return { kind: 'retry', detail: 'the channel returned no outcome' };
  } catch (error) {
    return {
      kind: 'retry',
      detail: `the channel threw: ${error instanceof Error ? error.message : String(error)}`,
    };
  }
}
