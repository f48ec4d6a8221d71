/**
 * Incident alerts as Sentry events. The envelope around them, the endpoint and the
 * authentication are built with `@sentry/core`'s own functions (adapters/sentry-channel.ts);
 * this module parses the DSN into the components `makeDsn` takes and builds the event.
 *
 * Contract: pure. The DSN is parsed strictly here, before `@sentry/core` sees it (its string
 * parser logs a malformed DSN, secret and all, to the console; given components it does
 * not). One incident is one Sentry issue: its finding fingerprint is the event's
 * `fingerprint`. The level follows the severity (P0 fatal, P1 error, P2 warning, P3 info).
 * `environment` is the SDK's own (sentryEnvironmentOf), so incident issues sit beside the
 * Worker's errors. `event_id` derives from the delivery's idempotency key, so a retried
 * delivery is the same event to Sentry. Text from the watched site is cleaned
 * (untrusted-text.ts) and tags are cut to Sentry's 200 characters by code point.
 */
import type { DsnComponents, Event } from '@sentry/core';
import { DEFAULT_ENVIRONMENT } from '@sentry/core';
import type { AlertEvent, AlertMessage } from './alerts';
import { sha256Hex } from './digest';
import type { Severity } from './findings';
import { err, ok, type Result } from './result';
import { cleanUntrustedText } from './untrusted-text';

/** A DSN as `@sentry/core`'s `makeDsn` takes it (components, never the string). */
export type SentryDsn = DsnComponents & { readonly protocol: 'https' | 'http' };

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
    pass: '',
    host: url.hostname,
    port: url.port,
    path: segments.join('/').replace(/^\/+|\/+$/g, ''),
    projectId,
  });
}

/**
 * The environment the Worker's own Sentry events carry: SENTRY_ENVIRONMENT as the SDK
 * reads it, else the SDK's default (`production`).
 */
export function sentryEnvironmentOf(env: { readonly SENTRY_ENVIRONMENT?: string }): string {
  return env.SENTRY_ENVIRONMENT?.trim() || DEFAULT_ENVIRONMENT;
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

/** The Sentry event of an incident: `@sentry/core`'s `Event` with the fields we always set. */
export type SentryEvent = Event & {
  readonly event_id: string;
  readonly timestamp: number;
  readonly environment: string;
  readonly level: SentryLevel;
  readonly message: string;
  readonly fingerprint: string[];
  readonly tags: Record<string, string>;
};

/** 32 hex digits, the same for every attempt of one delivery. */
export async function sentryEventIdOf(idempotencyKey: string): Promise<string> {
  return (await sha256Hex(`sentry-event:${idempotencyKey}`)).slice(0, 32);
}

/** Sentry tag values: cleaned, one line, at most 200 characters (code points). */
function tagValue(value: string): string {
  return cleanUntrustedText(value, { singleLine: true, maxCodePoints: 200 });
}

/** Text from outside, cleaned for the event (newlines kept). */
function text(value: string): string {
  return cleanUntrustedText(value);
}

export interface SentryEventOptions {
  readonly eventId: string;
  readonly now: Date;
  /** sentryEnvironmentOf(env). */
  readonly environment: string;
}

export function createSentryIncidentEvent(
  message: AlertMessage,
  options: SentryEventOptions,
): SentryEvent {
  const deliveryFailed = message.event === 'delivery-failed';
  return {
    event_id: options.eventId,
    timestamp: options.now.getTime() / 1000,
    environment: options.environment,
    platform: 'javascript',
    logger: 'dist-integrity-monitor',
    // A failed alert is a broken pager whatever the incident's severity.
    level: deliveryFailed ? 'error' : SENTRY_LEVELS[message.severity],
    message: deliveryFailed
      ? `Alert delivery failed for [${message.severity}] ${message.kind}: ${text(message.detail ?? '')}`
      : `[${message.severity}] ${message.title}: ${text(message.summary)}`,
    // A failed delivery is its own issue, so it does not hide inside the incident's issue.
    fingerprint: deliveryFailed
      ? [text(message.fingerprint), 'delivery-failed']
      : [text(message.fingerprint)],
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
        subject: text(message.subject),
        ...(message.expected !== undefined && { expected: text(message.expected) }),
        ...(message.observed !== undefined && { observed: text(message.observed) }),
        ...(message.regions !== undefined && { regions: message.regions.map(text) }),
        firstSeen: message.firstSeen,
        lastSeen: message.lastSeen,
        count: message.count,
        ...(message.escalationLevel !== undefined && { escalationLevel: message.escalationLevel }),
        ...(message.detail !== undefined && { detail: text(message.detail) }),
        runbookUrl: message.runbookUrl,
        incidentUrl: message.incidentUrl,
      },
    },
  };
}
