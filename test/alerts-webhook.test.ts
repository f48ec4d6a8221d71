import { Webhook, WebhookVerificationError } from 'standardwebhooks';
import { describe, expect, it, vi } from 'vitest';
import { DEFAULT_ALERT_ROUTES } from '../src/core/alert-routes';
import {
  parseWebhookSecrets,
  standardWebhookHeaders,
  verifyStandardWebhook,
} from '../src/core/standard-webhooks';
import { parseWebhookEndpoints } from '../src/core/webhook-endpoints';
import { createAlertChannels } from '../src/adapters/alert-channels';
import { alertMessage, captureFetch } from './alert-fixtures';

const KEY_1 = Uint8Array.from({ length: 32 }, (_, i) => i + 1);
const KEY_2 = Uint8Array.from({ length: 32 }, (_, i) => 200 - i);
const SECRET_1 = `whsec_${btoa(String.fromCharCode(...KEY_1))}`;
const SECRET_2 = `whsec_${btoa(String.fromCharCode(...KEY_2))}`;
const RECEIVER = 'https://hooks.receiver.test/alerts/t0ps3cr3t-path?token=query-secret-123';
const NOW = Date.parse('2040-01-01T00:00:00Z');
const ctx = { idempotencyKey: '0123456789abcdef0123456789abcdef:7', attempt: 1 };

function webhookChannel(secret = SECRET_1, urls = RECEIVER, timeoutMs = 10_000) {
  const [channel] = createAlertChannels(
    { ALERT_WEBHOOK_URLS: urls, ALERT_WEBHOOK_SECRET: secret },
    { transport: { now: () => NOW, timeoutMs } },
  );
  if (channel === undefined) throw new Error('no webhook channel');
  return channel;
}

/** A receiver's own check, written from the spec, sharing no code with the monitor. */
async function independentSignatures(key: Uint8Array, id: string, timestamp: string, body: string) {
  const cryptoKey = await crypto.subtle.importKey(
    'raw',
    key,
    { name: 'HMAC', hash: 'SHA-256' },
    false,
    ['sign'],
  );
  const mac = await crypto.subtle.sign(
    'HMAC',
    cryptoKey,
    new TextEncoder().encode(`${id}.${timestamp}.${body}`),
  );
  return `v1,${btoa(String.fromCharCode(...new Uint8Array(mac)))}`;
}

describe('signed webhook delivery', () => {
  it('posts a versioned payload whose signature an independent HMAC reproduces from the raw body', async () => {
    const { requests } = captureFetch();
    const outcome = await webhookChannel().deliver(alertMessage(), ctx);
    expect(outcome.kind).toBe('delivered');
    const [request] = requests;
    expect(request?.url).toBe(RECEIVER);
    const id = request!.headers.get('webhook-id')!;
    const timestamp = request!.headers.get('webhook-timestamp')!;
    expect(id).toBe(ctx.idempotencyKey);
    expect(timestamp).toBe(String(NOW / 1000));
    expect(request!.headers.get('webhook-signature')).toBe(
      await independentSignatures(KEY_1, id, timestamp, request!.body),
    );
    expect(JSON.parse(request!.body)).toMatchObject({
      version: 1,
      type: 'incident.opened',
      timestamp: '2040-01-01T00:00:00.000Z',
      data: {
        id: alertMessage().incidentId,
        kind: 'artifact-hash-mismatch',
        severity: 'P0',
        state: 'open',
      },
    });
  });

  it('keeps the webhook-id across retries of one message', async () => {
    const { requests } = captureFetch([new Response('busy', { status: 503 })]);
    const channel = webhookChannel();
    await channel.deliver(alertMessage(), ctx);
    await channel.deliver(alertMessage(), { ...ctx, attempt: 2 });
    expect(requests.map((r) => r.headers.get('webhook-id'))).toEqual([
      ctx.idempotencyKey,
      ctx.idempotencyKey,
    ]);
  });

  it('signs with both secrets during a rotation, each verifiable on its own', async () => {
    const { requests } = captureFetch();
    await webhookChannel(`${SECRET_2} ${SECRET_1}`).deliver(alertMessage(), ctx);
    const request = requests[0]!;
    const [id, timestamp] = [
      request.headers.get('webhook-id')!,
      request.headers.get('webhook-timestamp')!,
    ];
    const header = request.headers.get('webhook-signature')!;
    expect(header.split(' ')).toEqual([
      await independentSignatures(KEY_2, id, timestamp, request.body),
      await independentSignatures(KEY_1, id, timestamp, request.body),
    ]);
    for (const secret of [SECRET_1, SECRET_2]) {
      const verified = await verifyStandardWebhook({
        secret,
        headers: request.headers,
        body: request.body,
        now: new Date(NOW),
      });
      expect(verified.ok).toBe(true);
    }
  });

  it.each([
    [410, 'disabled'],
    [429, 'retry'],
    [500, 'retry'],
    [503, 'retry'],
    [400, 'failed'],
    [404, 'failed'],
    [301, 'failed'],
  ] as const)('classifies HTTP %i as %s', async (status, kind) => {
    captureFetch([
      new Response(null, {
        status,
        headers: status === 301 ? { location: 'https://elsewhere.test/' } : {},
      }),
    ]);
    expect((await webhookChannel().deliver(alertMessage(), ctx)).kind).toBe(kind);
  });

  it('honours Retry-After on 429', async () => {
    captureFetch([new Response('slow down', { status: 429, headers: { 'retry-after': '120' } })]);
    expect(await webhookChannel().deliver(alertMessage(), ctx)).toMatchObject({
      kind: 'retry',
      retryAfterMs: 120_000,
    });
  });

  it('retries an endpoint that does not answer within the timeout', async () => {
    captureFetch(['hang']);
    const outcome = await webhookChannel(SECRET_1, RECEIVER, 50).deliver(alertMessage(), ctx);
    expect(outcome).toMatchObject({ kind: 'retry' });
    expect(outcome.detail).toMatch(/timed out/);
  });

  it.each([
    [
      'an answer that echoes the URL',
      () => new Response(`bad request to ${RECEIVER}`, { status: 400 }),
    ],
    [
      'a network error naming the URL',
      () => {
        throw new TypeError(`fetch failed: ${RECEIVER} (${SECRET_1})`);
      },
    ],
  ])(
    'never puts the URL path, query or signing secret into the detail: %s',
    async (_name, answer) => {
      captureFetch([answer as never]);
      const outcome = await webhookChannel().deliver(alertMessage(), ctx);
      const text = JSON.stringify(outcome);
      for (const secret of ['t0ps3cr3t-path', 'query-secret-123', SECRET_1, SECRET_1.slice(6)]) {
        expect(text).not.toContain(secret);
      }
    },
  );

  it('never sends unsigned: no channel without a valid secret', () => {
    expect(createAlertChannels({ ALERT_WEBHOOK_URLS: RECEIVER })).toEqual([]);
    expect(
      createAlertChannels({ ALERT_WEBHOOK_URLS: RECEIVER, ALERT_WEBHOOK_SECRET: 'not-a-secret' }),
    ).toEqual([]);
  });

  it('names one channel per URL by host, numbering a repeated host', () => {
    const parsed = parseWebhookEndpoints(
      'https://a.test/1, https://b.test:8443/x ,https://a.test/2,ftp://c.test/,http://d.test/',
    );
    expect(parsed.endpoints.map((e) => e.name)).toEqual([
      'webhook:a.test',
      'webhook:b.test:8443',
      'webhook:a.test#2',
    ]);
    expect(parsed.problems).toHaveLength(2);
    expect(parsed.problems.join(' ')).not.toContain('c.test');
  });

  it('routes webhooks by severity', () => {
    const channel = webhookChannel();
    expect(DEFAULT_ALERT_ROUTES.webhooks).toEqual(['P0', 'P1', 'P2', 'P3']);
    expect(channel.accepts('P3', 'opened')).toBe(true);
    const [p0Only] = createAlertChannels({
      ALERT_WEBHOOK_URLS: RECEIVER,
      ALERT_WEBHOOK_SECRET: SECRET_1,
      ALERT_ROUTES: 'webhooks=P0',
    });
    expect([p0Only?.accepts('P0', 'opened'), p0Only?.accepts('P1', 'opened')]).toEqual([
      true,
      false,
    ]);
  });
});

describe('verifyStandardWebhook, for receivers', () => {
  const body = '{"version":1}';
  const signed = async (timestamp: number, key = KEY_1) =>
    standardWebhookHeaders({ id: 'msg_1', timestamp, body }, [key]);
  const verify = async (headers: Record<string, string>, text = body, now = NOW) =>
    verifyStandardWebhook({ secret: SECRET_1, headers, body: text, now: new Date(now) });

  it('accepts a genuine delivery', async () => {
    expect(await verify(await signed(NOW / 1000))).toEqual({
      ok: true,
      value: { id: 'msg_1', timestamp: NOW / 1000 },
    });
  });

  it('refuses a forged signature', async () => {
    expect(await verify(await signed(NOW / 1000, KEY_2))).toEqual({
      ok: false,
      error: { kind: 'no-matching-signature' },
    });
  });

  it('refuses a tampered body', async () => {
    expect((await verify(await signed(NOW / 1000), '{"version":2}')).ok).toBe(false);
  });

  it('refuses a replay with an old timestamp', async () => {
    expect(await verify(await signed(NOW / 1000 - 301))).toEqual({
      ok: false,
      error: { kind: 'timestamp-too-old' },
    });
  });

  it('refuses a timestamp from the future', async () => {
    expect(await verify(await signed(NOW / 1000 + 301))).toEqual({
      ok: false,
      error: { kind: 'timestamp-too-new' },
    });
  });

  it('refuses a missing signature header', async () => {
    const { 'webhook-signature': _omit, ...rest } = await signed(NOW / 1000);
    expect(await verify(rest)).toEqual({
      ok: false,
      error: { kind: 'missing-header', header: 'webhook-signature' },
    });
  });

  it('reads a secret without the whsec_ prefix as base64 (as the reference libraries do); refuses one that is not base64, or too short', () => {
    expect(parseWebhookSecrets(btoa('x'.repeat(32)))).toMatchObject({
      ok: true,
      value: [new TextEncoder().encode('x'.repeat(32))],
    });
    const plain = parseWebhookSecrets('plain-secret_not-base64!-but-long-enough');
    expect(plain.ok).toBe(false);
    if (!plain.ok) {
      expect(plain.error.detail).toContain('without whsec_ it must still be base64');
      expect(plain.error.detail).not.toContain('plain-secret');
    }
    expect(parseWebhookSecrets('short')).toMatchObject({ ok: false });
    expect(parseWebhookSecrets(`whsec_${btoa('short')}`).ok).toBe(false);
    expect(parseWebhookSecrets(`${SECRET_1} ${SECRET_2}`)).toMatchObject({
      ok: true,
      value: [KEY_1, KEY_2],
    });
  });
});

describe('the reference standardwebhooks package, as a receiver', () => {
  /** Signs at the real clock: the reference library checks the timestamp against it. */
  function liveChannel(secret: string) {
    const [channel] = createAlertChannels(
      { ALERT_WEBHOOK_URLS: RECEIVER, ALERT_WEBHOOK_SECRET: secret },
      { transport: { timeoutMs: 10_000 } },
    );
    if (channel === undefined) throw new Error('no webhook channel');
    return channel;
  }

  function headersOf(request: { headers: Headers }): Record<string, string> {
    return Object.fromEntries(
      ['webhook-id', 'webhook-timestamp', 'webhook-signature'].map((name) => [
        name,
        request.headers.get(name) ?? '',
      ]),
    );
  }

  it('verifies what the signer produces, and hands back the payload', async () => {
    const { requests } = captureFetch();
    await liveChannel(SECRET_1).deliver(alertMessage(), ctx);
    const request = requests[0]!;
    const payload = new Webhook(SECRET_1).verify(request.body, headersOf(request));
    expect(payload).toMatchObject({ version: 1, type: 'incident.opened' });
  });

  it('verifies with either secret while rotating, and with neither other secret', async () => {
    const { requests } = captureFetch();
    await liveChannel(`${SECRET_2} ${SECRET_1}`).deliver(alertMessage(), ctx);
    const request = requests[0]!;
    for (const secret of [SECRET_1, SECRET_2]) {
      expect(() => new Webhook(secret).verify(request.body, headersOf(request))).not.toThrow();
    }
    const stranger = `whsec_${btoa('z'.repeat(32))}`;
    expect(() => new Webhook(stranger).verify(request.body, headersOf(request))).toThrow(
      WebhookVerificationError,
    );
  });

  it('verifies a delivery signed with an unprefixed base64 secret, as receivers read it', async () => {
    const { requests } = captureFetch();
    const unprefixed = SECRET_1.slice('whsec_'.length);
    await liveChannel(unprefixed).deliver(alertMessage(), ctx);
    const request = requests[0]!;
    expect(() => new Webhook(unprefixed).verify(request.body, headersOf(request))).not.toThrow();
  });

  it('refuses a tampered body, as our own verifier does', async () => {
    const { requests } = captureFetch();
    await liveChannel(SECRET_1).deliver(alertMessage(), ctx);
    const request = requests[0]!;
    const forged = request.body.replace('"P0"', '"P3"');
    expect(() => new Webhook(SECRET_1).verify(forged, headersOf(request))).toThrow(
      WebhookVerificationError,
    );
  });

  it('turns webhooks off, with a clear message and no secret, for a secret that is not base64', () => {
    const warnings: string[] = [];
    vi.spyOn(console, 'warn').mockImplementation((...args: unknown[]) => {
      warnings.push(args.map(String).join(' '));
    });
    const secret = 'my-plain-text-webhook-secret-123';
    // As the second secret of a rotation (a message logged once per isolate, so unique here).
    expect(
      createAlertChannels({
        ALERT_WEBHOOK_URLS: RECEIVER,
        ALERT_WEBHOOK_SECRET: `${SECRET_1} ${secret}`,
      }),
    ).toEqual([]);
    // The reference library cannot key with it either: a receiver could never verify.
    expect(() => new Webhook(secret)).toThrow();
    const said = warnings.join('\n');
    expect(said).toContain('ALERT_WEBHOOK_SECRET: secret 2');
    expect(said).toContain('webhooks are off');
    expect(said).not.toContain(secret);
  });
});
