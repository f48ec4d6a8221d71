import { env } from 'cloudflare:test';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createCloudflarePurger, parseRetryAfterMs } from '../src/adapters/cloudflare-purge';
import { createEvidenceStore, evidenceKeyOf } from '../src/adapters/evidence-store';
import { createQuarantineStore } from '../src/adapters/quarantine-store';
import { createReverify } from '../src/adapters/reverify-url';
import { sha256Hex } from '../src/core/digest';
import { createFinding } from '../src/core/findings';

afterEach(() => vi.restoreAllMocks());

const ZONE = '0123456789abcdef0123456789abcdef';
const now = () => Date.parse('2040-01-01T00:00:00Z');

function purger(fetch: typeof globalThis.fetch) {
  const created = createCloudflarePurger({ apiToken: 'secret-token', zoneId: ZONE, fetch, now });
  if (!created.ok) throw new Error(created.error.detail);
  return created.value;
}

describe('cloudflare purge', () => {
  it.each([
    [{ apiToken: undefined, zoneId: ZONE }, 'CLOUDFLARE_API_TOKEN and CLOUDFLARE_ZONE_ID'],
    [{ apiToken: 't', zoneId: undefined }, 'CLOUDFLARE_API_TOKEN and CLOUDFLARE_ZONE_ID'],
    [{ apiToken: 't', zoneId: 'example.com/../x' }, 'not a 32-digit hex zone id'],
  ])('is not configured without usable credentials %#', (credentials, message) => {
    const created = createCloudflarePurger({ ...credentials, now });
    expect(created).toMatchObject({
      ok: false,
      error: { kind: 'not-configured', detail: expect.stringContaining(message) },
    });
  });

  it('posts each batch as {"files": [...]} with a bearer token', async () => {
    const fetch = vi.fn(async (_input: RequestInfo | URL, _init?: RequestInit) =>
      Response.json({ success: true }),
    );
    const result = await purger(fetch).purge([
      ['https://a.test/1', 'https://a.test/2'],
      ['https://a.test/3'],
    ]);
    expect(result).toEqual({ ok: true, value: { batches: 2, urls: 3 } });
    expect(fetch).toHaveBeenCalledTimes(2);
    const [url, init] = fetch.mock.calls[0]!;
    expect(url).toBe(`https://api.cloudflare.com/client/v4/zones/${ZONE}/purge_cache`);
    expect(init?.method).toBe('POST');
    expect(new Headers(init?.headers).get('authorization')).toBe('Bearer secret-token');
    expect(JSON.parse(String(init?.body))).toEqual({
      files: ['https://a.test/1', 'https://a.test/2'],
    });
  });

  it('refuses a batch of more than 100 URLs', async () => {
    const fetch = vi.fn(async () => Response.json({ success: true }));
    const batch = Array.from({ length: 101 }, (_, i) => `https://a.test/${i}`);
    await expect(purger(fetch).purge([batch])).rejects.toThrow(RangeError);
    expect(fetch).not.toHaveBeenCalled();
  });

  it.each([
    [
      new Response('{}', { status: 429, headers: { 'retry-after': '30' } }),
      { kind: 'rate-limited', retryAfterMs: 30_000 },
    ],
    [new Response('{}', { status: 429 }), { kind: 'rate-limited', retryAfterMs: 60_000 }],
    [new Response('oops', { status: 503 }), { kind: 'transient' }],
    [
      Response.json(
        { success: false, errors: [{ code: 10000, message: 'Authentication error' }] },
        { status: 403 },
      ),
      { kind: 'rejected', detail: 'purge answered 403: 10000 Authentication error' },
    ],
    [Response.json({ success: false, errors: [] }), { kind: 'rejected' }],
  ])('classifies a failed purge %#', async (response, error) => {
    const result = await purger(async () => response).purge([['https://a.test/1']]);
    expect(result).toMatchObject({ ok: false, error: { ...error, completedBatches: 0 } });
  });

  it('never puts the token in a failure', async () => {
    const result = await purger(async () => {
      throw new Error('network down');
    }).purge([['https://a.test/1']]);
    expect(result).toMatchObject({ ok: false, error: { kind: 'transient' } });
    expect(JSON.stringify(result)).not.toContain('secret-token');
  });

  it('resumes from the batch it is told to', async () => {
    const fetch = vi.fn(async () => Response.json({ success: true }));
    await purger(fetch).purge([['https://a.test/1'], ['https://a.test/2']], 1);
    expect(fetch).toHaveBeenCalledTimes(1);
  });

  it('reads Retry-After as seconds or as an HTTP date', () => {
    expect(parseRetryAfterMs('120', now())).toBe(120_000);
    expect(parseRetryAfterMs('Sun, 01 Jan 2040 00:01:00 GMT', now())).toBe(60_000);
    expect(parseRetryAfterMs('soon', now())).toBeUndefined();
    expect(parseRetryAfterMs(null, now())).toBeUndefined();
  });
});

describe('evidence store', () => {
  it('stores bytes under evidence/sha256/<hex of the bytes>', async () => {
    const bytes = new TextEncoder().encode('served manifest');
    const stored = await createEvidenceStore(env.EVIDENCE).put({
      bytes,
      contentType: 'text/plain',
      label: 'manifest',
      incidentId: 'i',
    });
    expect(stored).toEqual({
      key: evidenceKeyOf(await sha256Hex(bytes)),
      sha256: await sha256Hex(bytes),
      size: bytes.length,
      created: true,
    });
    const object = await env.EVIDENCE.get(stored.key);
    expect(await object?.text()).toBe('served manifest');
    expect(object?.customMetadata).toEqual({ label: 'manifest', incidentId: 'i' });
  });

  it('never overwrites an object that is already there', async () => {
    const bytes = new TextEncoder().encode('first');
    const store = createEvidenceStore(env.EVIDENCE);
    await store.put({ bytes, contentType: 'text/plain', label: 'body', incidentId: 'a' });
    const again = await store.put({
      bytes,
      contentType: 'text/plain',
      label: 'body',
      incidentId: 'b',
    });
    expect(again.created).toBe(false);
    expect((await env.EVIDENCE.head(again.key))?.customMetadata).toEqual({
      label: 'body',
      incidentId: 'a',
    });
  });

  it('relies on R2 to reject an upload whose bytes do not match the sha256 sent', async () => {
    await expect(
      env.EVIDENCE.put('evidence/sha256/x', 'bytes', { sha256: 'a'.repeat(64) }),
    ).rejects.toThrow();
  });
});

describe('quarantine store', () => {
  const url = 'https://dist.test/dist/v24.11.1/node.tar.gz';
  const flag = {
    incidentId: 'a'.repeat(32),
    reason: 'artifact-hash-mismatch',
    since: '2040-01-01T00:00:00.000Z',
  };

  it('writes quarantine:<path> with the flag as JSON, once per incident', async () => {
    const store = createQuarantineStore(env.QUARANTINE);
    expect(await store.flag(url, flag)).toEqual({
      key: 'quarantine:/dist/v24.11.1/node.tar.gz',
      created: true,
    });
    expect(await store.flag(url, { ...flag, since: 'later' })).toEqual({
      key: 'quarantine:/dist/v24.11.1/node.tar.gz',
      created: false,
    });
    expect(await env.QUARANTINE.get('quarantine:/dist/v24.11.1/node.tar.gz', 'json')).toEqual(flag);
  });

  it('clears only its own incident’s flag', async () => {
    const store = createQuarantineStore(env.QUARANTINE);
    await store.flag(url, flag);
    expect(await store.clear(url, 'b'.repeat(32))).toBe('owned-by-another-incident');
    expect(await store.clear(url, flag.incidentId)).toBe('cleared');
    expect(await store.clear(url, flag.incidentId)).toBe('absent');
  });
});

describe('default re-verification', () => {
  const url = 'https://dist.test/dist/v24.11.1/node.tar.gz';
  const finding = async (expected?: string) =>
    createFinding(
      { kind: 'cache-poisoned', subject: url, summary: 's', ...(expected && { expected }) },
      new Date(now()),
    );

  it('streams the body and matches the expected SHA-256', async () => {
    const fetch = vi.fn(
      async (_u: RequestInfo | URL, init?: RequestInit) =>
        new Response(init?.method === 'HEAD' ? null : 'good'),
    );
    const result = await createReverify({ fetch })(url, await finding(await sha256Hex('good')));
    expect(result).toMatchObject({ verdict: 'match', status: 200 });
    expect(fetch.mock.calls.map(([, init]) => init?.method ?? 'GET')).toEqual(['GET']);
  });

  it('reports other bytes as a mismatch with the hash it saw', async () => {
    const fetch = async (_u: RequestInfo | URL, init?: RequestInit) =>
      new Response(init?.method === 'HEAD' ? null : 'evil');
    const result = await createReverify({ fetch })(url, await finding(await sha256Hex('good')));
    expect(result).toMatchObject({ verdict: 'mismatch', observed: await sha256Hex('evil') });
  });

  it('only HEADs when there is no hash to compare', async () => {
    const fetch = vi.fn(async () => new Response(null));
    expect(await createReverify({ fetch })(url, await finding('"etag"'))).toMatchObject({
      verdict: 'unchecked',
    });
    expect(fetch).toHaveBeenCalledTimes(1);
  });

  it('reports a URL that does not answer 2xx as unreachable', async () => {
    const result = await createReverify({ fetch: async () => new Response(null, { status: 451 }) })(
      url,
      await finding(),
    );
    expect(result).toMatchObject({ verdict: 'unreachable', status: 451 });
  });
});

describe('re-verification of a tampered artifact hashes its bytes', () => {
  const url = 'https://dist.test/dist/v24.11.1/node-v24.11.1.tar.gz';
  const good = new TextEncoder().encode('the signed bytes of node-v24.11.1.tar.gz');
  /** The hash consumer's finding: expected is `sha256 <hex>, N bytes`, not a bare digest. */
  const tampered = async () =>
    createFinding(
      {
        kind: 'artifact-hash-mismatch',
        subject: url,
        summary: 's',
        expected: `sha256 ${await sha256Hex(good)}, ${good.byteLength} bytes`,
        observed: `sha256 ${'e'.repeat(64)}, ${good.byteLength} bytes`,
      },
      new Date(now()),
    );
  const noWait = async () => {};

  /**
   * A fetch that behaves like the platform's: it follows redirects itself unless asked for
   * `redirect: 'manual'`, and records every URL it was asked for.
   */
  function site(routes: Record<string, () => Response>) {
    const asked: string[] = [];
    const fetch = async (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
      const target = String(input instanceof Request ? input.url : input);
      asked.push(`${init?.method ?? 'GET'} ${target}`);
      const route = routes[target];
      const response = route ? route() : new Response('not found', { status: 404 });
      const location = response.headers.get('location');
      if (init?.redirect !== 'manual' && location !== null && response.status >= 300)
        return fetch(new URL(location, target).href, init);
      return response;
    };
    return { fetch, asked };
  }

  it('matches only when the served bytes hash to the signed SHA-256', async () => {
    const { fetch } = site({ [url]: () => new Response(good) });
    expect(await createReverify({ fetch })(url, await tampered())).toMatchObject({
      verdict: 'match',
      observed: await sha256Hex(good),
    });
  });

  it('is a mismatch when the bytes are still tampered, headers notwithstanding', async () => {
    const evil = new Uint8Array(good);
    evil[3] = (evil[3] ?? 0) ^ 1;
    const { fetch, asked } = site({
      [url]: () => new Response(evil, { headers: { etag: '"pinned"' } }),
    });
    const result = await createReverify({ fetch, sleep: noWait })(url, await tampered());
    expect(result).toMatchObject({ verdict: 'mismatch', observed: await sha256Hex(evil) });
    expect(asked.every((line) => line.startsWith('GET '))).toBe(true);
  });

  it('compares the whole digest, not a prefix of it', async () => {
    const served = await sha256Hex(good);
    const last = served.at(-1) === '0' ? '1' : '0';
    const finding = createFinding(
      {
        kind: 'artifact-hash-mismatch',
        subject: url,
        summary: 's',
        expected: `sha256 ${served.slice(0, -1)}${last}, ${good.byteLength} bytes`,
      },
      new Date(now()),
    );
    const { fetch } = site({ [url]: () => new Response(good) });
    expect(await createReverify({ fetch })(url, finding)).toMatchObject({ verdict: 'mismatch' });
  });

  it('stops at one byte more than the signed size and calls it a mismatch', async () => {
    const { fetch } = site({ [url]: () => new Response(new Uint8Array([...good, 0])) });
    expect(await createReverify({ fetch, sleep: noWait })(url, await tampered())).toMatchObject({
      verdict: 'mismatch',
    });
  });

  it('never follows a redirect to a host the dist client does not allow', async () => {
    const { fetch, asked } = site({
      [url]: () =>
        new Response(null, { status: 302, headers: { location: 'https://evil.test/x' } }),
      'https://evil.test/x': () => new Response(good),
    });
    const result = await createReverify({ fetch, sleep: noWait })(url, await tampered(), {
      allowedRedirectHosts: ['dist.test', 'nodejs.org'],
    });
    expect(result.verdict).toBe('unreachable');
    expect(result.detail).toContain('foreign-redirect');
    expect(asked.filter((line) => line.includes('evil.test'))).toEqual([]);
  });

  it('follows a redirect to an allowed host, and cuts a redirect loop', async () => {
    const mirror = 'https://nodejs.org/dist/v24.11.1/node-v24.11.1.tar.gz';
    const allowed = { allowedRedirectHosts: ['dist.test', 'nodejs.org'] };
    const redirect = (to: string) => () =>
      new Response(null, { status: 302, headers: { location: to } });
    const followed = site({ [url]: redirect(mirror), [mirror]: () => new Response(good) });
    expect(
      await createReverify({ fetch: followed.fetch })(url, await tampered(), allowed),
    ).toMatchObject({ verdict: 'match' });
    const looping = site({ [url]: redirect(mirror), [mirror]: redirect(url) });
    const result = await createReverify({ fetch: looping.fetch, sleep: noWait })(
      url,
      await tampered(),
      allowed,
    );
    expect(result).toMatchObject({ verdict: 'unreachable' });
    expect(result.detail).toContain('redirect-loop');
    expect(looping.asked).toHaveLength(2);
  });
});
