/**
 * Alerts: the message every channel receives, the channel interface, and the retry policy
 * of the incident outbox.
 *
 * Contract: an `AlertMessage` is plain JSON, complete enough for a channel to render it
 * alone (links included). It carries the full detail even for private incidents, because
 * channels are private; `security` and `disclosed` let a channel that is not private
 * redact. A channel reports what happened as a `DeliveryOutcome` and never throws for an
 * expected failure; the outbox retries with exponential backoff and jitter until the
 * retry budget ends. Every delivery of one outbox row carries the same idempotency key.
 */
import { kindSpec, type FindingKind, type Severity } from './findings';
import type { IncidentRecord, IncidentState } from './incident';

/** Why a message is sent. */
export type AlertEvent =
  | 'opened'
  | 'reopened'
  | 'escalated'
  | 'severity-changed'
  | 'acknowledged'
  | 'contained'
  | 'resolved'
  | 'delivery-failed'
  /** The sweep's alert cap held alerts back; `detail` says which (see ALERT_CAP_PER_SWEEP). */
  | 'alerts-held';

export const ALERT_EVENTS: readonly AlertEvent[] = [
  'opened',
  'reopened',
  'escalated',
  'severity-changed',
  'acknowledged',
  'contained',
  'resolved',
  'delivery-failed',
  'alerts-held',
];

/** What a channel delivers. */
export interface AlertMessage {
  readonly incidentId: string;
  readonly fingerprint: string;
  readonly kind: FindingKind;
  readonly severity: Severity;
  readonly state: IncidentState;
  readonly event: AlertEvent;
  /** The finding kind's title. */
  readonly title: string;
  /** The latest finding's summary. */
  readonly summary: string;
  readonly subject: string;
  readonly expected?: string;
  readonly observed?: string;
  readonly release?: string;
  readonly regions?: readonly string[];
  readonly firstSeen: string;
  readonly lastSeen: string;
  readonly count: number;
  readonly runbookUrl: string;
  readonly incidentUrl: string;
  /** Set on `escalated`: 1 for the first re-notification, 2 for the next, … */
  readonly escalationLevel?: number;
  /** Why this event happened, when the event alone does not say (a reason, a failure). */
  readonly detail?: string;
  readonly security: boolean;
  readonly disclosed: boolean;
  /** Every subject of the incident, up to `LISTED_SUBJECTS_LIMIT` (a group lists its members). */
  readonly subjects?: readonly string[];
  readonly subjectCount?: number;
  /** The cause a grouped incident's subjects share. */
  readonly cause?: string;
}

/** What one delivery attempt achieved. */
export type DeliveryOutcome =
  | { readonly kind: 'delivered'; readonly detail?: string }
  /** Transient: try again, no sooner than `retryAfterMs` when the service said so. */
  | { readonly kind: 'retry'; readonly retryAfterMs?: number; readonly detail: string }
  /** Permanent for this message (e.g. 400): do not retry it. */
  | { readonly kind: 'failed'; readonly detail: string }
  /** The channel itself is gone (e.g. webhook answered 410): do not retry it. */
  | { readonly kind: 'disabled'; readonly detail: string };

export interface DeliveryContext {
  /** `<incidentId>:<outboxId>`: the same for every attempt of one message. */
  readonly idempotencyKey: string;
  /** 1 for the first attempt. */
  readonly attempt: number;
}

/** An alert channel (Slack, Sentry, a webhook). Built by `createAlertChannels(env)`. */
export interface AlertChannel {
  /** Unique among channels; used in the outbox, the timeline and escalation targets. */
  readonly name: string;
  accepts(severity: Severity, event: AlertEvent): boolean;
  deliver(message: AlertMessage, ctx: DeliveryContext): Promise<DeliveryOutcome>;
}

/** Where alert links point. `publicUrl` empty = links relative to the monitor's origin. */
export interface AlertLinks {
  readonly runbookBaseUrl: string;
  readonly publicUrl: string;
}

export function runbookUrlOf(runbookBaseUrl: string, kind: FindingKind): string {
  return `${runbookBaseUrl.replace(/\/+$/, '')}/${kindSpec(kind).runbook}.md`;
}

export function incidentUrlOf(publicUrl: string, incidentId: string): string {
  return `${publicUrl.replace(/\/+$/, '')}/api/incidents/${incidentId}`;
}

export function idempotencyKeyOf(incidentId: string, outboxId: number): string {
  return `${incidentId}:${outboxId}`;
}

export interface AlertExtras {
  readonly escalationLevel?: number;
  readonly detail?: string;
}

export function createAlertMessage(
  record: IncidentRecord,
  event: AlertEvent,
  links: AlertLinks,
  extras: AlertExtras = {},
): AlertMessage {
  return {
    incidentId: record.id,
    fingerprint: record.fingerprint,
    kind: record.kind,
    severity: record.severity,
    state: record.state,
    event,
    title: record.title,
    summary: record.summary,
    subject: record.subject,
    ...(record.expected !== undefined && { expected: record.expected }),
    ...(record.observed !== undefined && { observed: record.observed }),
    ...(record.release !== undefined && { release: record.release }),
    ...(record.regions !== undefined && { regions: record.regions }),
    firstSeen: record.firstSeen,
    lastSeen: record.lastSeen,
    count: record.count,
    runbookUrl: runbookUrlOf(links.runbookBaseUrl, record.kind),
    incidentUrl: incidentUrlOf(links.publicUrl, record.id),
    ...(extras.escalationLevel !== undefined && { escalationLevel: extras.escalationLevel }),
    ...(extras.detail !== undefined && { detail: extras.detail }),
    security: record.security,
    disclosed: record.disclosed,
    ...(record.subjects !== undefined && { subjects: record.subjects }),
    ...(record.subjectCount !== undefined && { subjectCount: record.subjectCount }),
    ...(record.cause !== undefined && { cause: record.cause }),
  };
}

/** Which channels get a message: those that accept it, narrowed to `only` when given. */
export function selectChannels<C extends Pick<AlertChannel, 'name' | 'accepts'>>(
  channels: readonly C[],
  severity: Severity,
  event: AlertEvent,
  filter: { readonly only?: readonly string[]; readonly except?: readonly string[] } = {},
): C[] {
  return channels.filter(
    (channel) =>
      channel.accepts(severity, event) &&
      (filter.only === undefined || filter.only.includes(channel.name)) &&
      !(filter.except ?? []).includes(channel.name),
  );
}

/** Exponential backoff with jitter. */
export interface RetryPolicy {
  /** Attempts in all, the first included. */
  readonly maxAttempts: number;
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
}

export const DEFAULT_ALERT_RETRY: RetryPolicy = {
  maxAttempts: 8,
  baseDelayMs: 15_000,
  maxDelayMs: 30 * 60_000,
};

/**
 * Delay before the attempt after `attempt` (1-based): base·2^(attempt−1), capped, with
 * "equal jitter" (half fixed, half random) so retries of many incidents spread out, and
 * never sooner than the service's `retryAfterMs`.
 */
export function retryDelayMs(
  attempt: number,
  policy: RetryPolicy,
  random: () => number,
  retryAfterMs?: number,
): number {
  const exponential = Math.min(
    policy.maxDelayMs,
    policy.baseDelayMs * 2 ** Math.max(0, attempt - 1),
  );
  const jittered = Math.round(exponential / 2 + (exponential / 2) * random());
  return Math.max(jittered, retryAfterMs ?? 0);
}

/** What the outbox does with a row after an attempt. */
export type DeliveryDecision =
  | { readonly status: 'delivered' }
  | { readonly status: 'pending'; readonly delayMs: number }
  | { readonly status: 'failed'; readonly reason: 'permanent' | 'budget-exhausted' }
  | { readonly status: 'disabled' };

export function planDelivery(
  outcome: DeliveryOutcome,
  attempt: number,
  policy: RetryPolicy,
  random: () => number,
): DeliveryDecision {
  switch (outcome.kind) {
    case 'delivered':
      return { status: 'delivered' };
    case 'disabled':
      return { status: 'disabled' };
    case 'failed':
      return { status: 'failed', reason: 'permanent' };
    case 'retry':
      if (attempt >= policy.maxAttempts) return { status: 'failed', reason: 'budget-exhausted' };
      return {
        status: 'pending',
        delayMs: retryDelayMs(attempt, policy, random, outcome.retryAfterMs),
      };
  }
}
