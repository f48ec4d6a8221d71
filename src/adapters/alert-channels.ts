/**
 * The alert channels of this deployment, built from its secrets: Slack
 * (SLACK_WEBHOOK_URL), Sentry (SENTRY_DSN) and one signed-webhook channel per URL of
 * ALERT_WEBHOOK_URLS (with ALERT_WEBHOOK_SECRET: webhooks are never sent unsigned). A
 * channel whose secret is missing or malformed is off. Which severities reach which
 * channel follows the optional ALERT_ROUTES setting (src/core/alert-routes.ts); a
 * malformed one falls back to the defaults rather than silencing alerts.
 */
import { DEFAULT_ALERT_ROUTES, parseAlertRoutes, type AlertRoutes } from '../core/alert-routes';
import type { AlertChannel } from '../core/alerts';
import { parseSentryDsn, sentryEnvironmentOf } from '../core/sentry-envelope';
import { parseWebhookSecrets } from '../core/standard-webhooks';
import { LOCAL_HOSTS, parseWebhookEndpoints } from '../core/webhook-endpoints';
import type { MonitorEnv } from '../env';
import { defaultDeliveryTransport, type DeliveryTransport } from './alert-delivery';
import { createSentryChannel } from './sentry-channel';
import { createSlackChannel } from './slack-channel';
import { createWebhookChannel } from './webhook-channel';

type ChannelEnv = Pick<
  MonitorEnv,
  'SLACK_WEBHOOK_URL' | 'SENTRY_DSN' | 'ALERT_WEBHOOK_URLS' | 'ALERT_WEBHOOK_SECRET'
> & { readonly ALERT_ROUTES?: string; readonly SENTRY_ENVIRONMENT?: string };

export interface AlertChannelOptions {
  /** Replaces parts of the HTTP transport (tests: a short timeout, a fake clock). */
  readonly transport?: Partial<DeliveryTransport>;
}

export function createAlertChannels(
  env: ChannelEnv,
  options: AlertChannelOptions = {},
): AlertChannel[] {
  const transport = { ...defaultDeliveryTransport(), ...options.transport };
  const routes = alertRoutesOf(env);
  const channels: AlertChannel[] = [];
  const slackUrl = slackWebhookUrlOf(env);
  if (slackUrl !== undefined) {
    channels.push(createSlackChannel({ webhookUrl: slackUrl, routes, transport }));
  }
  const dsn = parseSentryDsn(env.SENTRY_DSN);
  if (dsn.ok && env.SENTRY_DSN !== undefined) {
    channels.push(
      createSentryChannel({
        dsn: dsn.value,
        rawDsn: env.SENTRY_DSN,
        environment: sentryEnvironmentOf(env),
        routes,
        transport,
      }),
    );
  } else if (env.SENTRY_DSN?.trim()) {
    warnOnce('SENTRY_DSN is not a valid DSN; the Sentry channel is off');
  }
  const webhooks = webhookSetupOf(env);
  for (const endpoint of webhooks.endpoints) {
    channels.push(
      createWebhookChannel({
        endpoint,
        keys: webhooks.keys,
        rawSecret: env.ALERT_WEBHOOK_SECRET ?? '',
        routes,
        transport,
      }),
    );
  }
  return channels;
}

/** Which channels are on, for `GET /api/status`. Says nothing about the secrets themselves. */
export function channelsEnabled(env: ChannelEnv): {
  slack: boolean;
  sentry: boolean;
  webhooks: boolean;
} {
  return {
    slack: slackWebhookUrlOf(env) !== undefined,
    sentry: parseSentryDsn(env.SENTRY_DSN).ok,
    webhooks: webhookSetupOf(env).endpoints.length > 0,
  };
}

/** The routes in force: ALERT_ROUTES, or the defaults when it is missing or malformed. */
export function alertRoutesOf(env: { readonly ALERT_ROUTES?: string }): AlertRoutes {
  const parsed = parseAlertRoutes(env.ALERT_ROUTES);
  if (parsed.ok) return parsed.value;
  warnOnce(`ALERT_ROUTES ignored, using the defaults: ${parsed.error.problems.join('; ')}`);
  return DEFAULT_ALERT_ROUTES;
}

function slackWebhookUrlOf(env: ChannelEnv): string | undefined {
  const raw = env.SLACK_WEBHOOK_URL?.trim();
  if (!raw) return undefined;
  try {
    const url = new URL(raw);
    // http only to this machine (a local receiver in the demo), as for webhooks.
    if (url.protocol === 'https:' || (url.protocol === 'http:' && LOCAL_HOSTS.has(url.hostname))) {
      return raw;
    }
  } catch {
    // reported below
  }
  warnOnce('SLACK_WEBHOOK_URL is not an https (or local http) URL; the Slack channel is off');
  return undefined;
}

function webhookSetupOf(env: ChannelEnv) {
  const parsed = parseWebhookEndpoints(env.ALERT_WEBHOOK_URLS);
  for (const problem of parsed.problems) warnOnce(problem);
  if (parsed.endpoints.length === 0) return { endpoints: [], keys: [] };
  const keys = parseWebhookSecrets(env.ALERT_WEBHOOK_SECRET);
  if (!keys.ok) {
    warnOnce(`ALERT_WEBHOOK_SECRET: ${keys.error.detail}; webhooks are off (never sent unsigned)`);
    return { endpoints: [], keys: [] };
  }
  return { endpoints: parsed.endpoints, keys: keys.value };
}

/** Channels are built on every delivery; a misconfiguration is logged once per isolate. */
const warned = new Set<string>();
function warnOnce(message: string): void {
  if (warned.has(message)) return;
  warned.add(message);
  console.warn(`alert channels: ${message}`);
}
