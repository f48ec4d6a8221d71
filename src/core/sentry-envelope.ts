/**
 * Incident alerts as Sentry events, sent as envelopes straight to the project's envelope
 * endpoint (https://develop.sentry.dev/sdk/data-model/envelopes/).
 *
 * Contract: pure. The DSN is parsed strictly; the endpoint is
 * `<scheme>://<host>/api/<project>/envelope/` and authentication travels in
 * `X-Sentry-Auth`, never in the body (the DSN is a secret here). One incident is one
 * Sentry issue: its finding fingerprint is the event's `fingerprint`. The level follows the
 * severity (P0 fatal, P1 error, P2 warning, P3 info). `event_id` derives from the
 * delivery's idempotency key, so a retried delivery is the same event to Sentry.
 */
import type { AlertEvent, AlertMessage } from './alerts';
import { sha256Hex } from './digest';
import type { Severity } from './findings';
import { err, ok, type Result } from './result';

export interface SentryDsn {
  readonly protocol: 'https' | 'http';
  readonly publicKey: string;
  /** host[:port] */
  readonly host: string;
  /** Path prefix before the project id (usually empty), without a trailing slash. */
  readonly pathPrefix: string;
  readonly projectId: string;
}

export function parseSentryDsn(dsn: string | undefined): Result<SentryDsn, 'invalid-dsn'> {
  if (dsn === undefined || dsn.trim() === '') return err('invalid-dsn');
  let url: URL;
  try {
    url = new URL(dsn.trim());
  } catch {
    return err('invalid-dsn');
  }
  const protocol = url.protocol.slice(0, -1);
  const segments = url.pathname.split('/');
  const projectId = segments.pop() ?? '';
  if (
    (protocol !== 'https' && protocol !== 'http') ||
    url.username === '' ||
    !/^\d+$/.test(projectId) ||
    url.search !== '' ||
    url.hash !== ''
  ) {
    return err('invalid-dsn');
  }
  return ok({
    protocol,
    publicKey: decodeURIComponent(url.username),
    host: url.host,
    pathPrefix: segments.join('/').replace(/\/+$/, ''),
    projectId,
  });
}

export function sentryEnvelopeUrl(dsn: SentryDsn): string {
  return `${dsn.protocol}://${dsn.host}${dsn.pathPrefix}/api/${dsn.projectId}/envelope/`;
}

export const SENTRY_CLIENT = 'dist-integrity-monitor/1';

export function sentryAuthHeader(dsn: SentryDsn): string {
  return `Sentry sentry_version=7, sentry_key=${dsn.publicKey}, sentry_client=${SENTRY_CLIENT}`;
}

export type SentryLevel = 'fatal' | 'error' | 'warning' | 'info';

export const SENTRY_LEVELS: Record<Severity, SentryLevel> = {
  P0: 'fatal',
  P1: 'error',
  P2: 'warning',
  P3: 'info',
};

/** The events that are problems worth a Sentry event; state changes are not. */
export const SENTRY_EVENTS: readonly AlertEvent[] = [
  'opened',
  'reopened',
  'escalated',
  'severity-changed',
  'delivery-failed',
];

/** The subset of Sentry's event payload we send. */
export interface SentryEvent {
  readonly event_id: string;
  /** Unix seconds. */
  readonly timestamp: number;
  readonly platform: 'javascript';
  readonly logger: string;
  readonly level: SentryLevel;
  readonly message: { readonly formatted: string };
  readonly fingerprint: readonly string[];
  readonly tags: Readonly<Record<string, string>>;
  readonly contexts: Readonly<Record<string, Readonly<Record<string, unknown>>>>;
}

/** 32 hex digits, the same for every attempt of one delivery. */
export async function sentryEventIdOf(idempotencyKey: string): Promise<string> {
  return (await sha256Hex(`sentry-event:${idempotencyKey}`)).slice(0, 32);
}

/** Sentry tag values: one line, at most 200 characters. */
function tagValue(value: string): string {
  const flat = value.replace(/[\r\n]+/g, ' ');
  return flat.length > 200 ? `${flat.slice(0, 199)}…` : flat;
}

export function createSentryIncidentEvent(
  message: AlertMessage,
  eventId: string,
  now: Date,
): SentryEvent {
  const deliveryFailed = message.event === 'delivery-failed';
  return {
    event_id: eventId,
    timestamp: now.getTime() / 1000,
    platform: 'javascript',
    logger: 'dist-integrity-monitor',
    // A failed alert is a broken pager whatever the incident's severity.
    level: deliveryFailed ? 'error' : SENTRY_LEVELS[message.severity],
    message: {
      formatted: deliveryFailed
        ? `Alert delivery failed for [${message.severity}] ${message.kind}: ${message.detail ?? ''}`
        : `[${message.severity}] ${message.title}: ${message.summary}`,
    },
    // A failed delivery is its own issue, so it does not hide inside the incident's issue.
    fingerprint: deliveryFailed ? [message.fingerprint, 'delivery-failed'] : [message.fingerprint],
    tags: {
      kind: message.kind,
      severity: message.severity,
      event: message.event,
      incident_id: message.incidentId,
      url: tagValue(message.subject),
      // Sentry reserves the `release` tag for the app's own release.
      ...(message.release !== undefined && { node_release: tagValue(message.release) }),
      security: String(message.security),
    },
    contexts: {
      incident: {
        id: message.incidentId,
        state: message.state,
        title: message.title,
        subject: message.subject,
        ...(message.expected !== undefined && { expected: message.expected }),
        ...(message.observed !== undefined && { observed: message.observed }),
        ...(message.regions !== undefined && { regions: message.regions }),
        firstSeen: message.firstSeen,
        lastSeen: message.lastSeen,
        count: message.count,
        ...(message.escalationLevel !== undefined && { escalationLevel: message.escalationLevel }),
        ...(message.detail !== undefined && { detail: message.detail }),
        runbookUrl: message.runbookUrl,
        incidentUrl: message.incidentUrl,
      },
    },
  };
}

/** An envelope with one event item: three newline-separated JSON lines. */
export function serializeSentryEnvelope(event: SentryEvent, now: Date): string {
  const payload = JSON.stringify(event);
  return [
    JSON.stringify({ event_id: event.event_id, sent_at: now.toISOString() }),
    JSON.stringify({
      type: 'event',
      content_type: 'application/json',
      length: new TextEncoder().encode(payload).length,
    }),
    payload,
  ].join('\n');
}
