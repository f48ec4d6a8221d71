/**
 * Sentry for the Worker itself (@sentry/cloudflare): unhandled errors of every handler and
 * Durable Object, and cron check-ins of the scheduled sweep, so a sweep that stops running
 * (or keeps failing) is itself alerted by Sentry's cron monitor.
 *
 * Off without SENTRY_DSN: the options say `enabled: false` then, and a client without a DSN
 * has no transport, so nothing is sent. Each invocation gets its own client
 * (`cacheClient: false`), so a rotated DSN applies at once. Request headers, query strings
 * and outgoing URLs are scrubbed before anything leaves (webhook URLs are secrets), and no
 * trace headers are added to outgoing requests (their `baggage` would carry the DSN's key to
 * the dist site and to webhook receivers).
 *
 * Incident alerts do not go through the SDK: see sentry-channel.ts.
 */
import * as Sentry from '@sentry/cloudflare';
import { parseSentryDsn, sentryEnvironmentOf } from '../core/sentry-envelope';
import { safeOrigin } from '../core/secret-redaction';
import type { MonitorEnv } from '../env';

/** The cron monitor of the sweep in Sentry; created by the first check-in. */
export const SWEEP_MONITOR_SLUG = 'dist-integrity-sweep';

/** wrangler.toml `[triggers] crons`; the controller's own cron wins when it has one. */
export const SWEEP_SCHEDULE = '*/5 * * * *';

type MonitorConfig = NonNullable<Parameters<typeof Sentry.withMonitor>[2]>;

export function sweepMonitorConfig(cron: string | undefined): MonitorConfig {
  return {
    schedule: { type: 'crontab', value: cron || SWEEP_SCHEDULE },
    // A sweep may start a few minutes late; one that runs past 10 minutes is stuck.
    checkinMargin: 5,
    maxRuntime: 10,
    timezone: 'Etc/UTC',
    failureIssueThreshold: 1,
    recoveryThreshold: 1,
  };
}

type SentryEnv = Pick<MonitorEnv, 'SENTRY_DSN'> & { readonly SENTRY_ENVIRONMENT?: string };

/**
 * The SDK options for this deployment; `enabled: false` without a valid SENTRY_DSN. The
 * environment is SENTRY_ENVIRONMENT (default `production`), shared with incident events.
 */
export function sentryOptionsOf(env: SentryEnv) {
  const dsn = env.SENTRY_DSN?.trim();
  const valid = sentryConfigured(env);
  return {
    dsn: valid ? dsn : undefined,
    enabled: valid,
    // Set here, not left to the SDK, so incident events (sentry-channel.ts) say the same.
    environment: sentryEnvironmentOf(env),
    cacheClient: false,
    tracePropagationTargets: [],
    dataCollection: {
      userInfo: false,
      cookies: false,
      httpHeaders: {
        request: { allow: ['user-agent', 'content-type', 'cf-ray'] },
        response: false,
      },
      httpBodies: [],
      urlQueryParams: false,
      stackFrameVariables: false,
    },
    beforeSend: scrubEvent,
    beforeBreadcrumb: scrubBreadcrumb,
  } satisfies Sentry.CloudflareOptions;
}

/** Keeps only harmless request headers; drops cookies, query strings and bodies. */
export function scrubEvent<E extends Sentry.Event>(event: E): E {
  const request = event.request;
  if (request !== undefined) {
    const headers = Object.fromEntries(
      Object.entries(request.headers ?? {}).filter(([name]) =>
        ['user-agent', 'content-type', 'cf-ray'].includes(name.toLowerCase()),
      ),
    );
    event.request = {
      ...(request.method !== undefined && { method: request.method }),
      ...(request.url !== undefined && { url: request.url.split('?')[0] }),
      headers,
    };
  }
  return event;
}

/** Outgoing requests are remembered by origin only: a webhook URL's path is its secret. */
export function scrubBreadcrumb(breadcrumb: Sentry.Breadcrumb): Sentry.Breadcrumb {
  const url = breadcrumb.data?.['url'];
  if (typeof url !== 'string') return breadcrumb;
  return { ...breadcrumb, data: { ...breadcrumb.data, url: safeOrigin(url) } };
}

/** Whether this deployment reports to Sentry at all (a valid SENTRY_DSN). */
export function sentryConfigured(env: SentryEnv): boolean {
  return parseSentryDsn(env.SENTRY_DSN?.trim()).ok;
}

/**
 * Wraps the Worker's exported handler: Sentry on every handler, and the `scheduled`
 * handler inside a cron monitor (check-in `in_progress`, then `ok`, or `error` when it
 * throws). Without a valid SENTRY_DSN, HTTP requests skip the SDK's wrapper: it would
 * report nothing, and it costs about a millisecond of CPU per request, which is most of
 * what a public page served from the snapshot costs (docs/benchmarks.md).
 */
export function withMonitorSentry<H extends ExportedHandler<MonitorEnv>>(handler: H): H {
  const plainFetch = handler.fetch;
  const scheduled = handler.scheduled;
  const monitored: H =
    scheduled === undefined
      ? handler
      : {
          ...handler,
          scheduled: (controller, env, ctx) =>
            Sentry.withMonitor(
              SWEEP_MONITOR_SLUG,
              () => scheduled.call(handler, controller, env, ctx),
              sweepMonitorConfig(controller.cron),
            ),
        };
  // `withSentry` instruments the handler object in place and returns it.
  const handlerType: ExportedHandler<MonitorEnv> = { ...monitored };
  const instrumented = Sentry.withSentry((env: MonitorEnv) => sentryOptionsOf(env), handlerType);
  const sentryFetch = instrumented.fetch;
  if (plainFetch === undefined || sentryFetch === undefined) return instrumented as H;
  return {
    ...instrumented,
    fetch: (request, env, ctx) =>
      sentryConfigured(env)
        ? sentryFetch.call(instrumented, request, env, ctx)
        : plainFetch.call(handler, request, env, ctx),
  } as H;
}

/** Wraps a Durable Object class: errors in its fetch, alarm and RPC methods reach Sentry. */
export function withDurableObjectSentry<
  C extends new (state: DurableObjectState, env: MonitorEnv) => Rpc.DurableObjectBranded,
>(durableObjectClass: C): C {
  return Sentry.instrumentDurableObjectWithSentry(
    (env: MonitorEnv) => sentryOptionsOf(env),
    durableObjectClass as never,
  ) as C;
}

/** For error handlers that answer the error themselves (Hono's `onError`): still tell Sentry. */
export function reportError(error: unknown): void {
  Sentry.captureException(error);
}
