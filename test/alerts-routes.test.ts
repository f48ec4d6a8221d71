import { describe, expect, it } from 'vitest';
import { channelsEnabled, createAlertChannels } from '../src/adapters/alert-channels';
import { DEFAULT_ALERT_ROUTES, parseAlertRoutes } from '../src/core/alert-routes';
import { redactSecrets } from '../src/core/secret-redaction';
import { parseRetryAfter } from '../src/core/retry-after';

const ALL_SECRETS = {
  SLACK_WEBHOOK_URL: 'https://hooks.slack.com/services/T/B/x',
  SENTRY_DSN: 'https://key@sentry.test/1',
  ALERT_WEBHOOK_URLS: 'https://a.test/hook,https://b.test/hook',
  ALERT_WEBHOOK_SECRET: `whsec_${btoa('s'.repeat(32))}`,
};

describe('alert routes', () => {
  it.each([
    ['', DEFAULT_ALERT_ROUTES],
    ['slack=P0-P3;webhooks=P0-P3;sentry=P0-P2', DEFAULT_ALERT_ROUTES],
    ['sentry=P0', { ...DEFAULT_ALERT_ROUTES, sentry: ['P0'] }],
    [
      ' slack = P0,P2 ; webhooks=none ',
      { ...DEFAULT_ALERT_ROUTES, slack: ['P0', 'P2'], webhooks: [] },
    ],
    ['sentry=p1-p3', { ...DEFAULT_ALERT_ROUTES, sentry: ['P1', 'P2', 'P3'] }],
  ])('reads %j', (raw, routes) => {
    expect(parseAlertRoutes(raw)).toEqual({ ok: true, value: routes });
  });

  it.each(['pager=P0', 'slack=P4', 'slack=P2-P0', 'slack', 'slack=P0;slack=P1', 'slack=P0=P1'])(
    'refuses %j, naming the problem',
    (raw) => {
      const parsed = parseAlertRoutes(raw);
      expect(parsed.ok).toBe(false);
      if (!parsed.ok) expect(parsed.error.problems.length).toBeGreaterThan(0);
    },
  );

  it('falls back to the defaults when ALERT_ROUTES is malformed, rather than silencing alerts', () => {
    const channels = createAlertChannels({ ...ALL_SECRETS, ALERT_ROUTES: 'slack=P9' });
    expect(channels.find((c) => c.name === 'slack')?.accepts('P3', 'opened')).toBe(true);
  });

  it('routes each family by its severities', () => {
    const channels = createAlertChannels({
      ...ALL_SECRETS,
      ALERT_ROUTES: 'slack=P0-P1;webhooks=P2;sentry=none',
    });
    const accepting = (severity: 'P0' | 'P2') =>
      channels.filter((c) => c.accepts(severity, 'opened')).map((c) => c.name);
    expect(accepting('P0')).toEqual(['slack']);
    expect(accepting('P2')).toEqual(['webhook:a.test', 'webhook:b.test']);
  });
});

describe('channels from secrets', () => {
  it('builds every channel whose secret is set', () => {
    expect(createAlertChannels(ALL_SECRETS).map((c) => c.name)).toEqual([
      'slack',
      'sentry',
      'webhook:a.test',
      'webhook:b.test',
    ]);
  });

  it.each([
    [{}, { slack: false, sentry: false, webhooks: false }],
    [ALL_SECRETS, { slack: true, sentry: true, webhooks: true }],
    [
      { ALERT_WEBHOOK_URLS: ALL_SECRETS.ALERT_WEBHOOK_URLS },
      { slack: false, sentry: false, webhooks: false },
    ],
    [
      { SENTRY_DSN: 'not a dsn', SLACK_WEBHOOK_URL: ' ' },
      { slack: false, sentry: false, webhooks: false },
    ],
  ])('reports which channels are on: %j', (secrets, enabled) => {
    expect(channelsEnabled(secrets)).toEqual(enabled);
  });
});

describe('secret hygiene helpers', () => {
  it('redacts a secret URL, its path and query, and a signing secret from text', () => {
    const url = 'https://receiver.test/p/abcdefgh12345?token=zyxwvut987';
    const text = `failed ${url} and ${encodeURIComponent(url)} path /p/abcdefgh12345?token=zyxwvut987 key whsec_AAAAAAAAAAAA`;
    const redacted = redactSecrets(text, [url, 'whsec_AAAAAAAAAAAA']);
    for (const fragment of ['abcdefgh12345', 'zyxwvut987', 'whsec_AAAAAAAAAAAA'])
      expect(redacted).not.toContain(fragment);
  });

  it.each([
    ['120', 120_000],
    ['0', 0],
    ['Thu, 01 Jan 2040 00:01:00 GMT', 60_000],
    ['Wed, 31 Dec 2039 23:00:00 GMT', 0],
    ['soon', undefined],
    ['-5', undefined],
    ['99999999', 86_400_000],
  ])('reads Retry-After %j as %s ms', (value, ms) => {
    expect(parseRetryAfter(value, new Date('2040-01-01T00:00:00Z'))).toBe(ms);
  });
});
