import {
  createExecutionContext,
  createScheduledController,
  env,
  waitOnExecutionContext,
} from 'cloudflare:test';
import * as Sentry from '@sentry/cloudflare';
import { parseEnvelope } from '@sentry/core';
import { describe, expect, it, vi } from 'vitest';
import { createAlertChannels } from '../src/adapters/alert-channels';
import { scrubBreadcrumb, sentryOptionsOf, withMonitorSentry } from '../src/adapters/sentry';
import type { Severity } from '../src/core/findings';
import type { MonitorEnv } from '../src/env';
import { alertMessage, captureFetch, type CapturedRequest } from './alert-fixtures';

const DSN = 'https://publickey123@sentry.test/42';
const ENVELOPE_URL = 'https://sentry.test/api/42/envelope/';
const ctx = { idempotencyKey: '0123456789abcdef0123456789abcdef:3', attempt: 1 };

/** An envelope read by Sentry's own parser (`@sentry/core`'s parseEnvelope). */
function envelopeItems(request: CapturedRequest): {
  header: Record<string, unknown>;
  items: { type: string; payload: Record<string, unknown> }[];
} {
  const [header, items] = parseEnvelope(request.body);
  return {
    header: header as Record<string, unknown>,
    items: items.map(([itemHeader, payload]) => ({
      type: itemHeader.type,
      payload: (payload instanceof Uint8Array
        ? JSON.parse(new TextDecoder().decode(payload))
        : payload) as Record<string, unknown>,
    })),
  };
}

function sentryChannel(vars: { SENTRY_ENVIRONMENT?: string } = {}) {
  const [channel] = createAlertChannels(
    { SENTRY_DSN: DSN, ...vars },
    { transport: { timeoutMs: 100, now: () => Date.parse('2040-01-01T00:00:00Z') } },
  );
  if (channel === undefined) throw new Error('no sentry channel');
  return channel;
}

describe('Sentry channel', () => {
  it('sends an incident opening as an envelope with level, fingerprint and tags', async () => {
    const { requests } = captureFetch([new Response('{"id":"x"}')]);
    expect((await sentryChannel().deliver(alertMessage(), ctx)).kind).toBe('delivered');
    const request = requests[0]!;
    expect(request.url).toBe(ENVELOPE_URL);
    expect(request.headers.get('x-sentry-auth')).toMatch(
      /^Sentry sentry_version=7, sentry_key=publickey123, sentry_client=/,
    );
    const { header, items } = envelopeItems(request);
    expect(header).not.toHaveProperty('dsn');
    expect(items).toHaveLength(1);
    expect(items[0]).toMatchObject({
      type: 'event',
      payload: {
        level: 'fatal',
        fingerprint: [alertMessage().fingerprint],
        tags: {
          kind: 'artifact-hash-mismatch',
          severity: 'P0',
          node_release: 'v24.11.1',
          url: alertMessage().subject,
        },
      },
    });
    expect(items[0]?.payload['event_id']).toBe(header['event_id']);
  });

  it.each([
    ['P0', 'fatal'],
    ['P1', 'error'],
    ['P2', 'warning'],
    ['P3', 'info'],
  ] as const)('maps %s to level %s', async (severity: Severity, level) => {
    const { requests } = captureFetch();
    await sentryChannel().deliver(alertMessage({ severity }), ctx);
    expect(envelopeItems(requests[0]!).items[0]?.payload['level']).toBe(level);
  });

  it('gives every attempt of one delivery the same event id, so Sentry deduplicates retries', async () => {
    const { requests } = captureFetch([new Response('', { status: 503 })]);
    const channel = sentryChannel();
    await channel.deliver(alertMessage(), ctx);
    await channel.deliver(alertMessage(), { ...ctx, attempt: 2 });
    const ids = requests.map((r) => envelopeItems(r).header['event_id']);
    expect(ids[0]).toMatch(/^[0-9a-f]{32}$/);
    expect(ids[1]).toBe(ids[0]);
  });

  it('retries a rate-limited envelope after Retry-After', async () => {
    captureFetch([new Response('', { status: 429, headers: { 'retry-after': '60' } })]);
    expect(await sentryChannel().deliver(alertMessage(), ctx)).toMatchObject({
      kind: 'retry',
      retryAfterMs: 60_000,
    });
  });

  it('takes openings but not state changes, and P0–P2 only by default', () => {
    const channel = sentryChannel();
    expect(channel.accepts('P0', 'opened')).toBe(true);
    expect(channel.accepts('P0', 'acknowledged')).toBe(false);
    expect(channel.accepts('P2', 'reopened')).toBe(true);
    expect(channel.accepts('P3', 'opened')).toBe(false);
  });

  it('is off without a DSN or with a malformed one', () => {
    expect(createAlertChannels({ SENTRY_DSN: '' })).toEqual([]);
    expect(createAlertChannels({ SENTRY_DSN: 'https://sentry.test/42' })).toEqual([]);
  });

  it('never logs a malformed DSN (the SDK’s string parser would print it whole)', () => {
    const logged: string[] = [];
    for (const method of ['error', 'warn', 'log', 'info'] as const) {
      vi.spyOn(console, method).mockImplementation((...args: unknown[]) => {
        logged.push(args.map(String).join(' '));
      });
    }
    const secretDsn = 'https://s3cr3t-key-with-dash@sentry.test/not-a-project';
    expect(createAlertChannels({ SENTRY_DSN: secretDsn })).toEqual([]);
    expect(logged.join('\n')).not.toContain('s3cr3t');
  });

  it('builds the envelope with @sentry/core: it parses back, with the SDK’s auth and no DSN inside', async () => {
    const { requests } = captureFetch();
    await sentryChannel().deliver(alertMessage(), ctx);
    const request = requests[0]!;
    const { header, items } = envelopeItems(request);
    expect(header).toMatchObject({
      event_id: items[0]?.payload['event_id'],
      sent_at: '2040-01-01T00:00:00.000Z',
      sdk: { name: 'dist-integrity-monitor.incidents' },
    });
    expect(request.url).not.toContain('publickey123');
    expect(request.body).not.toContain('publickey123');
    expect(request.headers.get('x-sentry-auth')).toContain('sentry_version=7');
  });

  it('carries the same environment as the SDK’s own events (production by default)', async () => {
    const { requests } = captureFetch();
    await sentryChannel().deliver(alertMessage(), ctx);
    const [event] = envelopeItems(requests[0]!).items;
    expect(event?.payload['environment']).toBe('production');
    expect(event?.payload['environment']).toBe(sentryOptionsOf({ SENTRY_DSN: DSN }).environment);
    await sentryChannel({ SENTRY_ENVIRONMENT: 'staging' }).deliver(alertMessage(), ctx);
    expect(envelopeItems(requests[1]!).items[0]?.payload['environment']).toBe('staging');
    expect(sentryOptionsOf({ SENTRY_DSN: DSN, SENTRY_ENVIRONMENT: 'staging' }).environment).toBe(
      'staging',
    );
  });

  it('cleans hostile text from the watched site and cuts tags by code point', async () => {
    const { requests } = captureFetch();
    const subject = `https://dist.test/dist/v1.0.0/\u0001\u202e${'😀'.repeat(300)}.tar.gz`;
    await sentryChannel().deliver(alertMessage({ subject, summary: 'a\u0000b\uFFFEc' }), ctx);
    const [event] = envelopeItems(requests[0]!).items;
    const tags = event?.payload['tags'] as Record<string, string>;
    expect([...tags['url']!].length).toBe(200);
    expect(tags['url']).not.toMatch(/[\u0000-\u001f\u202e\uFFFE]/);
    // No lone surrogate: the tag round-trips through UTF-8 unchanged.
    expect(new TextDecoder().decode(new TextEncoder().encode(tags['url']))).toBe(tags['url']);
    expect(event?.payload['message']).toBe(`[P0] ${alertMessage().title}: a\uFFFDb\uFFFDc`);
  });
});

describe('Sentry for the Worker', () => {
  async function runScheduled(vars: Partial<MonitorEnv>, scheduled: () => Promise<void>) {
    const handler = withMonitorSentry<ExportedHandler<MonitorEnv>>({ scheduled });
    const context = createExecutionContext();
    const run = Promise.resolve(
      handler.scheduled!(
        createScheduledController({ cron: '*/5 * * * *' }),
        { ...env, ...vars },
        context,
      ),
    );
    const outcome = await run.then(
      () => 'ok',
      (error: unknown) => error,
    );
    await waitOnExecutionContext(context);
    return outcome;
  }

  function checkIns(requests: CapturedRequest[]) {
    return requests
      .filter((r) => r.url.startsWith(ENVELOPE_URL))
      .flatMap((r) => envelopeItems(r).items)
      .filter((item) => item.type === 'check_in')
      .map((item) => item.payload);
  }

  it('checks the sweep in as in_progress, then ok, with the crontab monitor config', async () => {
    const { requests } = captureFetch();
    expect(await runScheduled({ SENTRY_DSN: DSN }, async () => {})).toBe('ok');
    const sent = checkIns(requests);
    expect(sent.map((c) => c['status'])).toEqual(['in_progress', 'ok']);
    expect(sent[0]).toMatchObject({
      monitor_slug: 'dist-integrity-sweep',
      monitor_config: { schedule: { type: 'crontab', value: '*/5 * * * *' } },
    });
    expect(sent[1]?.['check_in_id']).toBe(sent[0]?.['check_in_id']);
  });

  it('checks a failing sweep in as error and reports its exception', async () => {
    const { requests } = captureFetch();
    const outcome = await runScheduled({ SENTRY_DSN: DSN }, async () => {
      throw new Error('sweep broke');
    });
    expect(outcome).toBeInstanceOf(Error);
    expect(checkIns(requests).map((c) => c['status'])).toEqual(['in_progress', 'error']);
    const events = requests
      .flatMap((r) => envelopeItems(r).items)
      .filter((item) => item.type === 'event');
    expect(JSON.stringify(events)).toContain('sweep broke');
  });

  it('sends nothing at all without SENTRY_DSN', async () => {
    const { requests } = captureFetch();
    await runScheduled({ SENTRY_DSN: undefined }, async () => {
      throw new Error('unseen');
    });
    expect(requests).toEqual([]);
    expect(sentryOptionsOf({})).toMatchObject({ enabled: false, dsn: undefined });
  });

  async function runFetch(vars: Partial<MonitorEnv>, fetch: () => Promise<Response>) {
    const handler = withMonitorSentry<ExportedHandler<MonitorEnv>>({ fetch });
    const context = createExecutionContext();
    const outcome = await Promise.resolve(
      handler.fetch!(
        new Request('https://monitor.test/') as Request<unknown, IncomingRequestCfProperties>,
        { ...env, ...vars },
        context,
      ),
    ).then(
      (response) => response.status,
      (error: unknown) => error,
    );
    await waitOnExecutionContext(context);
    return outcome;
  }

  it('reports an exception a request throws when SENTRY_DSN is set', async () => {
    const { requests } = captureFetch();
    const outcome = await runFetch({ SENTRY_DSN: DSN }, async () => {
      throw new Error('request broke');
    });
    expect(outcome).toBeInstanceOf(Error);
    const events = requests
      .filter((r) => r.url.startsWith(ENVELOPE_URL))
      .flatMap((r) => envelopeItems(r).items)
      .filter((item) => item.type === 'event');
    expect(JSON.stringify(events)).toContain('request broke');
  });

  it('answers requests without the SDK when SENTRY_DSN is unset or invalid (it would cost CPU for nothing)', async () => {
    const { requests } = captureFetch();
    const clients: unknown[] = [];
    const handle = async () => {
      clients.push(Sentry.getClient());
      return new Response('ok');
    };
    expect(await runFetch({ SENTRY_DSN: DSN }, handle)).toBe(200);
    expect(clients[0]).toBeDefined();
    for (const dsn of [undefined, 'not a dsn']) {
      clients.length = 0;
      expect(await runFetch({ SENTRY_DSN: dsn }, handle)).toBe(200);
      expect(clients).toEqual([undefined]);
      const outcome = await runFetch({ SENTRY_DSN: dsn }, async () => {
        throw new Error('unseen');
      });
      expect(outcome).toBeInstanceOf(Error);
    }
    expect(requests.filter((r) => r.url.startsWith(ENVELOPE_URL))).toEqual([]);
  });

  it('keeps outgoing URLs to their origin in breadcrumbs, and adds no trace headers', () => {
    const crumb = scrubBreadcrumb({
      category: 'fetch',
      data: { url: 'https://hooks.slack.com/services/T/B/secret', method: 'POST' },
    });
    expect(crumb.data).toEqual({ url: 'https://hooks.slack.com', method: 'POST' });
    expect(sentryOptionsOf({ SENTRY_DSN: DSN }).tracePropagationTargets).toEqual([]);
  });
});
