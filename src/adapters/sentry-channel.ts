/**
 * The Sentry channel: each incident opening (and reopening, escalation, severity change,
 * failed alert delivery) is one Sentry event, grouped by the incident's fingerprint.
 *
 * Why envelopes straight from the outbox rather than `Sentry.captureEvent`: the SDK's
 * transport sends later, swallows failures and retries on its own terms, so the outbox
 * could neither know that Sentry took the event nor retry it. A direct POST to the
 * envelope endpoint answers within the attempt: 200 delivered; 429 (with `Retry-After`)
 * and 5xx retried; 401/403/413 failed. `event_id` is derived from the idempotency key, so
 * a retry that did reach Sentry is deduplicated there.
 */
import {
  SENTRY_EVENTS,
  createSentryIncidentEvent,
  sentryAuthHeader,
  sentryEnvelopeUrl,
  sentryEventIdOf,
  serializeSentryEnvelope,
  type SentryDsn,
} from '../core/sentry-envelope';
import type { AlertChannel } from '../core/alerts';
import { routeAccepts, type AlertRoutes } from '../core/alert-routes';
import { postAlert, type DeliveryTransport } from './alert-delivery';

export const SENTRY_CHANNEL_NAME = 'sentry';

export interface SentryChannelOptions {
  readonly dsn: SentryDsn;
  /** The raw DSN, only for redaction. */
  readonly rawDsn: string;
  readonly routes: AlertRoutes;
  readonly transport: DeliveryTransport;
}

export function createSentryChannel(options: SentryChannelOptions): AlertChannel {
  const url = sentryEnvelopeUrl(options.dsn);
  const policy = {
    disableOn: [],
    quoteBody: true,
    secrets: [options.rawDsn, options.dsn.publicKey],
  };
  return {
    name: SENTRY_CHANNEL_NAME,
    accepts: (severity, event) =>
      SENTRY_EVENTS.includes(event) && routeAccepts(options.routes, 'sentry', severity),
    deliver: async (message, ctx) => {
      const now = new Date(options.transport.now());
      const event = createSentryIncidentEvent(
        message,
        await sentryEventIdOf(ctx.idempotencyKey),
        now,
      );
      return postAlert(
        url,
        {
          headers: {
            'content-type': 'application/x-sentry-envelope',
            'x-sentry-auth': sentryAuthHeader(options.dsn),
          },
          body: serializeSentryEnvelope(event, now),
        },
        options.transport,
        policy,
      );
    },
  };
}
