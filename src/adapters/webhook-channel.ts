/**
 * Signed webhooks: one channel per receiver URL, each delivery a versioned JSON payload
 * (src/core/webhook-payload.ts) signed per Standard Webhooks with every configured secret.
 *
 * `webhook-id` is the outbox idempotency key, the same on every retry, so receivers can
 * deduplicate; `webhook-timestamp` and the signature are fresh per attempt. 410 disables
 * the endpoint for that message; 429 / 408 / 5xx / 10 s without an answer are retried;
 * other 4xx fail. A receiver's response body is never quoted: it might echo the URL.
 */
import type { AlertChannel } from '../core/alerts';
import { routeAccepts, type AlertRoutes } from '../core/alert-routes';
import { standardWebhookHeaders } from '../core/standard-webhooks';
import type { WebhookEndpoint } from '../core/webhook-endpoints';
import { createWebhookPayload } from '../core/webhook-payload';
import { postAlert, type DeliveryTransport } from './alert-delivery';

export interface WebhookChannelOptions {
  readonly endpoint: WebhookEndpoint;
  /** Decoded signing keys, new first during a rotation. */
  readonly keys: readonly Uint8Array[];
  /** The raw ALERT_WEBHOOK_SECRET, only for redaction. */
  readonly rawSecret: string;
  readonly routes: AlertRoutes;
  readonly transport: DeliveryTransport;
}

export function createWebhookChannel(options: WebhookChannelOptions): AlertChannel {
  const { endpoint, transport } = options;
  const policy = {
    disableOn: [410],
    quoteBody: false,
    secrets: [endpoint.url, ...options.rawSecret.split(/\s+/)],
  };
  return {
    name: endpoint.name,
    accepts: (severity) => routeAccepts(options.routes, 'webhooks', severity),
    deliver: async (message, ctx) => {
      const nowMs = transport.now();
      const body = JSON.stringify(createWebhookPayload(message, new Date(nowMs)));
      const headers = await standardWebhookHeaders(
        { id: ctx.idempotencyKey, timestamp: Math.floor(nowMs / 1000), body },
        options.keys,
      );
      return postAlert(
        endpoint.url,
        {
          headers: {
            'content-type': 'application/json',
            'user-agent': 'dist-integrity-monitor-webhooks/1',
            ...headers,
          },
          body,
        },
        transport,
        policy,
      );
    },
  };
}
