/**
 * The Sentry channel: each incident opening (and reopening, escalation, severity change,
 * failed alert delivery) is one Sentry event, grouped by the incident's fingerprint.
 *
 * The envelope, the endpoint and the authentication are `@sentry/core`'s own: `makeDsn`
 * (from the components parseSentryDsn checked, so a malformed DSN is never logged),
 * `createEventEnvelope`, `serializeEnvelope` and `getEnvelopeEndpointWithUrlEncodedAuth`.
 * The auth parameters that helper puts in the query string are moved to `X-Sentry-Auth`
 * (which Sentry reads the same way), so the DSN's key never sits in a URL that could be
 * logged.
 *
 * Why envelopes straight from the outbox rather than `Sentry.captureEvent`: the SDK's
 * transport sends later, swallows failures and retries on its own terms, so the outbox
 * could neither know that Sentry took the event nor retry it. A direct POST to the
 * envelope endpoint answers within the attempt: 200 delivered; 429 (with `Retry-After`)
 * and 5xx retried; 401/403/413 failed. `event_id` is derived from the idempotency key, so
 * a retry that did reach Sentry is deduplicated there.
 */
import {
  createEventEnvelope,
  getEnvelopeEndpointWithUrlEncodedAuth,
  makeDsn,
  serializeEnvelope,
  type DsnComponents,
  type SdkInfo,
} from '@sentry/core';
import {
  SENTRY_EVENTS,
  createSentryIncidentEvent,
  sentryEventIdOf,
  type SentryDsn,
} from '../core/sentry-envelope';
import type { AlertChannel } from '../core/alerts';
import { routeAccepts, type AlertRoutes } from '../core/alert-routes';
import { postAlert, type DeliveryTransport } from './alert-delivery';

export const SENTRY_CHANNEL_NAME = 'sentry';

/** Who sends incident events (the envelope's and the event's `sdk`). */
export const INCIDENT_EVENT_SDK: SdkInfo = {
  name: 'dist-integrity-monitor.incidents',
  version: '1.0.0',
};

export interface SentryChannelOptions {
  readonly dsn: SentryDsn;
  /** The raw DSN, only for redaction. */
  readonly rawDsn: string;
  /** sentryEnvironmentOf(env): the same as the Worker's own events. */
  readonly environment: string;
  readonly routes: AlertRoutes;
  readonly transport: DeliveryTransport;
}

/** The envelope endpoint, and its auth as an `X-Sentry-Auth` header, from the SDK helper. */
export function sentryEndpointOf(dsn: DsnComponents): { url: string; auth: string } {
  const url = new URL(getEnvelopeEndpointWithUrlEncodedAuth(dsn, undefined, INCIDENT_EVENT_SDK));
  const auth = [...url.searchParams].map(([name, value]) => `${name}=${value}`).join(', ');
  url.search = '';
  return { url: url.toString(), auth: `Sentry ${auth}` };
}

/** Only JSON items here, so the SDK serialises to a string; bytes would be UTF-8 anyway. */
function envelopeText(serialized: string | Uint8Array): string {
  return typeof serialized === 'string' ? serialized : new TextDecoder().decode(serialized);
}

export function createSentryChannel(options: SentryChannelOptions): AlertChannel {
  const dsn = makeDsn(options.dsn);
  const endpoint = dsn === undefined ? undefined : sentryEndpointOf(dsn);
  const policy = {
    disableOn: [],
    quoteBody: true,
    secrets: [options.rawDsn, options.dsn.publicKey ?? ''],
  };
  return {
    name: SENTRY_CHANNEL_NAME,
    accepts: (severity, event) =>
      SENTRY_EVENTS.includes(event) && routeAccepts(options.routes, 'sentry', severity),
    deliver: async (message, ctx) => {
      if (dsn === undefined || endpoint === undefined) {
        return { kind: 'failed', detail: 'SENTRY_DSN is not a valid DSN' };
      }
      const now = new Date(options.transport.now());
      const event = createSentryIncidentEvent(message, {
        eventId: await sentryEventIdOf(ctx.idempotencyKey),
        now,
        environment: options.environment,
      });
      const envelope = createEventEnvelope(event, dsn, { sdk: INCIDENT_EVENT_SDK });
      // The envelope's sent_at is this attempt's (the transport's clock, like the event).
      envelope[0].sent_at = now.toISOString();
      return postAlert(
        endpoint.url,
        {
          headers: {
            'content-type': 'application/x-sentry-envelope',
            'x-sentry-auth': endpoint.auth,
          },
          body: envelopeText(serializeEnvelope(envelope)),
        },
        options.transport,
        policy,
      );
    },
  };
}
