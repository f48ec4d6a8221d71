/**
 * The Slack channel: posts each alert to an incoming webhook (SLACK_WEBHOOK_URL) as a
 * Block Kit message with Acknowledge and Resolve buttons. Every event is a new message in
 * the channel (an incoming webhook cannot edit one); a click replaces the clicked message
 * through its `response_url` (src/http/slack-interactions.ts).
 *
 * Slack answers 429 with `Retry-After` when rate limited (retried no sooner), 404
 * `no_service` or 410 `channel_is_archived` when the webhook is gone (disabled), 400/403
 * for a message it will never take (failed).
 */
import type { AlertChannel, AlertEvent } from '../core/alerts';
import { routeAccepts, type AlertRoutes } from '../core/alert-routes';
import type { Severity } from '../core/findings';
import { renderSlackMessage } from '../core/slack-message';
import { postAlert, type DeliveryTransport } from './alert-delivery';

export const SLACK_CHANNEL_NAME = 'slack';

export interface SlackChannelOptions {
  readonly webhookUrl: string;
  readonly routes: AlertRoutes;
  readonly transport: DeliveryTransport;
}

export function createSlackChannel(options: SlackChannelOptions): AlertChannel {
  const policy = { disableOn: [404, 410], quoteBody: true, secrets: [options.webhookUrl] };
  return {
    name: SLACK_CHANNEL_NAME,
    accepts: (severity: Severity, _event: AlertEvent) =>
      routeAccepts(options.routes, 'slack', severity),
    deliver: async (message) =>
      postAlert(
        options.webhookUrl,
        {
          headers: { 'content-type': 'application/json; charset=utf-8' },
          body: JSON.stringify(renderSlackMessage(message)),
        },
        options.transport,
        policy,
      ),
  };
}
