import { describe, expect, it } from 'vitest';
import {
  createDistClient,
  parseRetryAfter,
  type DistClientOptions,
  type HttpError,
  type HttpResult,
} from '../src/adapters/dist-client';

const BASE = 'https://dist.test/dist';
const FILE = `${BASE}/v24.11.1/node-v24.11.1.tar.gz`;

type Handler = (url: string, init: RequestInit) => Response | Promise<Response>;

interface Harness {
  client: ReturnType<typeof createDistClient>;
  calls: { url: string; init: RequestInit }[];
  sleeps: number[];
  budget: { remaining: number };
}

function harness(handler: Handler, overrides: Partial<DistClientOptions> = {}): Harness {
  const calls: Harness['calls'] = [];
  const sleeps: number[] = [];
  const budget = overrides.subrequestBudget ?? { remaining: 100 };
  const fakeFetch = (async (input: RequestInfo | URL, init?: RequestInit) => {
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    calls.push({ url, init: init ?? {} });
    return handler(url, init ?? {});
  }) as typeof fetch;
  const client = createDistClient({
    fetch: fakeFetch,
    timeoutMs: 1000,
    retries: 2,
    backoffMs: 100,
    sleep: async (ms) => {
      sleeps.push(ms);
    },
    random: () => 1,
    allowedRedirectHosts: ['nodejs.org', 'dist.nodejs.org'],
    subrequestBudget: budget,
    ...overrides,
  });
  return { client, calls, sleeps, budget };
}

function redirect(to: string, status = 302): Response {
  return new Response(null, { status, headers: { location: to } });
}

function failure<T>(result: HttpResult<T>): HttpError {
  if (result.ok) throw new Error('expected a failure, got a success');
  return result.error;
}

function success<T>(result: HttpResult<T>): T {
  if (!result.ok)
    throw new Error(`expected a success, got ${result.error.kind}: ${result.error.detail}`);
  return result.value;
}

/** Deterministic bytes, so a test can hash the same body twice. */
function generateBytes(length: number, seed = 7): Uint8Array {
  const bytes = new Uint8Array(length);
  let state = seed;
  for (let i = 0; i < length; i += 1) {
    state = (state * 1103515245 + 12345) >>> 0;
    bytes[i] = state >>> 24;
  }
  return bytes;
}

/** A body served in uneven chunks, one per pull. */
function chunkedStream(bytes: Uint8Array, chunkSizes: number[]): ReadableStream<Uint8Array> {
  let at = 0;
  let turn = 0;
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      if (at >= bytes.length) {
        controller.close();
        return;
      }
      const size = chunkSizes[turn % chunkSizes.length] ?? 1024;
      turn += 1;
      controller.enqueue(bytes.slice(at, at + size));
      at += size;
    },
  });
}

/** An endless body that counts how much of it was asked for, and whether it was cancelled. */
function endlessStream(chunkSize: number) {
  const state = { pulls: 0, cancelled: false };
  const stream = new ReadableStream<Uint8Array>({
    pull(controller) {
      state.pulls += 1;
      controller.enqueue(new Uint8Array(chunkSize).fill(0x61));
    },
    cancel() {
      state.cancelled = true;
    },
  });
  return { stream, state };
}

/** A body that sends one chunk and then never another (a slowloris). */
function stallingStream() {
  const state = { cancelled: false };
  let sent = false;
  const stream = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (!sent) {
        sent = true;
        controller.enqueue(new Uint8Array(16));
        return;
      }
      return new Promise<void>(() => {});
    },
    cancel() {
      state.cancelled = true;
    },
  });
  return { stream, state };
}

async function sha256Hex(bytes: Uint8Array): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', bytes);
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, '0')).join('');
}

describe('HEAD', () => {
  it('returns the response meta with lowercased header names', async () => {
    const { client, calls } = harness(
      () => new Response(null, { status: 200, headers: { 'Content-Length': '42', ETag: '"x"' } }),
    );
    const meta = success(await client.head(FILE));
    expect(meta).toMatchObject({ url: FILE, status: 200, redirects: [], attempts: 1 });
    expect(meta.headers).toMatchObject({ 'content-length': '42', etag: '"x"' });
    expect(calls[0]?.init).toMatchObject({ method: 'HEAD', redirect: 'manual' });
  });
});

describe('redirects', () => {
  it('follows a redirect to an allowed host and records the hop', async () => {
    const target = 'https://nodejs.org/dist/v24.11.1/node-v24.11.1.tar.gz';
    const { client, calls } = harness((url) =>
      url === FILE ? redirect(target, 301) : new Response('ok'),
    );
    const meta = success(await client.head(FILE));
    expect(meta.url).toBe(target);
    expect(meta.redirects).toEqual([{ from: FILE, to: target, status: 301 }]);
    expect(calls.map((c) => c.url)).toEqual([FILE, target]);
  });

  it('resolves a relative Location against the current URL', async () => {
    const { client } = harness((url) =>
      url === FILE ? redirect('../latest/file.tar.gz') : new Response('ok'),
    );
    const meta = success(await client.head(FILE));
    expect(meta.url).toBe(`${BASE}/latest/file.tar.gz`);
  });

  it('stops at a foreign host without fetching it, and does not retry', async () => {
    const { client, calls } = harness(() => redirect('https://nodejs.org.evil.com/x.tar.gz'));
    const error = failure(await client.head(FILE));
    expect(error).toMatchObject({
      kind: 'foreign-redirect',
      url: FILE,
      from: FILE,
      to: 'https://nodejs.org.evil.com/x.tar.gz',
      status: 302,
      attempts: 1,
    });
    expect(error.redirects.at(-1)?.to).toBe('https://nodejs.org.evil.com/x.tar.gz');
    expect(error.meta?.status).toBe(302);
    expect(calls).toHaveLength(1);
  });

  it('treats a downgrade to http on the same host as foreign', async () => {
    const { client } = harness(() => redirect(FILE.replace('https:', 'http:')));
    expect(failure(await client.head(FILE)).kind).toBe('foreign-redirect');
  });

  it('detects a loop', async () => {
    const other = `${BASE}/other`;
    const { client, calls } = harness((url) => redirect(url === FILE ? other : FILE));
    const error = failure(await client.head(FILE));
    expect(error.kind).toBe('redirect-loop');
    expect(error.redirects.map((hop) => hop.to)).toEqual([other, FILE]);
    expect(calls).toHaveLength(2);
  });

  it('gives up after maxRedirects hops', async () => {
    const { client, calls } = harness((url) => redirect(`${url}x`), { maxRedirects: 3 });
    const error = failure(await client.head(FILE));
    expect(error.kind).toBe('too-many-redirects');
    expect(calls).toHaveLength(4);
  });

  it('follows up to five redirects by default', async () => {
    let hops = 0;
    const { client } = harness((url) => (hops++ < 5 ? redirect(`${url}x`) : new Response('ok')));
    expect(success(await client.head(FILE)).redirects).toHaveLength(5);
  });
});

describe('retries', () => {
  it('retries a 500 and succeeds on the second attempt', async () => {
    let calls = 0;
    const { client, sleeps } = harness(() =>
      calls++ === 0 ? new Response('boom', { status: 500 }) : new Response('ok'),
    );
    const meta = success(await client.head(FILE));
    expect(meta.attempts).toBe(2);
    expect(sleeps).toEqual([100]);
    expect(client.stats()).toMatchObject({ requests: 2, retries: 1 });
  });

  it('does not retry a 404, and keeps the response meta for the header checks', async () => {
    const { client, calls } = harness(
      () =>
        new Response('not found', {
          status: 404,
          headers: { 'cache-control': 'private, no-cache' },
        }),
    );
    const error = failure(await client.head(FILE));
    expect(error).toMatchObject({ kind: 'status', status: 404, attempts: 1 });
    expect(error.meta?.headers['cache-control']).toBe('private, no-cache');
    expect(calls).toHaveLength(1);
  });

  it('returns the last 5xx with its meta once the retries are spent', async () => {
    const { client, calls } = harness(() => new Response('down', { status: 503 }));
    const error = failure(await client.head(FILE));
    expect(error).toMatchObject({ kind: 'status', status: 503, attempts: 3 });
    expect(error.meta?.status).toBe(503);
    expect(calls).toHaveLength(3);
  });

  it('backs off exponentially with jitter between half and all of each step', async () => {
    const high = harness(() => new Response(null, { status: 502 }), { random: () => 1 });
    await high.client.head(FILE);
    const low = harness(() => new Response(null, { status: 502 }), { random: () => 0 });
    await low.client.head(FILE);
    expect(high.sleeps).toEqual([100, 200]);
    expect(low.sleeps).toEqual([50, 100]);
  });

  it('honours Retry-After on a 429', async () => {
    let calls = 0;
    const { client, sleeps } = harness(() =>
      calls++ === 0
        ? new Response(null, { status: 429, headers: { 'retry-after': '3' } })
        : new Response('ok'),
    );
    success(await client.head(FILE));
    expect(sleeps).toEqual([3000]);
  });

  it('caps a long Retry-After', async () => {
    const { client, sleeps } = harness(
      () => new Response(null, { status: 503, headers: { 'retry-after': '3600' } }),
      { retries: 1, retryAfterCapMs: 5000 },
    );
    await client.head(FILE);
    expect(sleeps).toEqual([5000]);
  });

  it('treats a fetch that throws at once as a network error', async () => {
    const throwing = (() => {
      throw new TypeError('bad init');
    }) as unknown as typeof fetch;
    const { client } = harness(() => new Response('unused'), { fetch: throwing, retries: 0 });
    expect(failure(await client.head(FILE)).kind).toBe('network');
  });

  it('retries a network error and reports it when it persists', async () => {
    const { client, calls } = harness(() => {
      throw new TypeError('connection reset');
    });
    const error = failure(await client.head(FILE));
    expect(error).toMatchObject({ kind: 'network', attempts: 3 });
    expect(error.detail).toContain('connection reset');
    expect(calls).toHaveLength(3);
  });
});

describe('parseRetryAfter', () => {
  const now = Date.parse('2026-11-23T12:00:00Z');
  it.each([
    ['7', 7000],
    [' 0 ', 0],
    ['Mon, 23 Nov 2026 12:00:10 GMT', 10_000],
    ['Mon, 23 Nov 2026 11:00:00 GMT', 0],
    ['soon', undefined],
    [undefined, undefined],
  ])('%s → %s ms', (value, expected) => {
    expect(parseRetryAfter(value, now)).toBe(expected);
  });
});

describe('timeouts', () => {
  it('times out a fetch that never answers, and aborts its signal', async () => {
    const { client, calls } = harness(() => new Promise<Response>(() => {}), {
      timeoutMs: 20,
      retries: 1,
    });
    const error = failure(await client.head(FILE));
    expect(error).toMatchObject({ kind: 'timeout', attempts: 2 });
    expect(calls).toHaveLength(2);
    expect(calls[0]?.init.signal?.aborted).toBe(true);
  });

  it('times out a body that stalls midway, and cancels it', async () => {
    const stalls = [stallingStream(), stallingStream()];
    let call = 0;
    const { client } = harness(() => new Response(stalls[call++]?.stream), {
      timeoutMs: 30,
      retries: 1,
    });
    const error = failure(await client.getBytes(FILE, { maxBytes: 1024 }));
    expect(error).toMatchObject({ kind: 'timeout', attempts: 2 });
    expect(error.detail).toContain('16 bytes');
    expect(stalls.every((s) => s.state.cancelled)).toBe(true);
  });

  it('lets one call take longer than the client default', async () => {
    const { client } = harness(
      () => new Promise<Response>((resolve) => setTimeout(() => resolve(new Response('ok')), 40)),
      { timeoutMs: 10, retries: 0 },
    );
    expect(success(await client.getText(FILE, { maxBytes: 10, timeoutMs: 500 })).text).toBe('ok');
  });
});

describe('body size', () => {
  it('retries a body shorter than its Content-Length, then reports it truncated', async () => {
    const { client, calls } = harness(
      () => new Response(new Uint8Array(50), { headers: { 'content-length': '100' } }),
      { retries: 1 },
    );
    const error = failure(await client.hashBody(FILE));
    expect(error).toMatchObject({ kind: 'truncated', attempts: 2 });
    expect(error.detail).toContain('50 of 100');
    expect(calls).toHaveLength(2);
  });

  it('stops a body longer than expectedBytes at once, without retrying', async () => {
    const { stream, state } = endlessStream(1024);
    const { client, calls } = harness(() => new Response(stream));
    const error = failure(await client.hashBody(FILE, { expectedBytes: 4096 }));
    expect(error.kind).toBe('too-large');
    expect(state.cancelled).toBe(true);
    expect(state.pulls).toBeLessThan(10);
    expect(calls).toHaveLength(1);
  });

  it('refuses a Content-Length above expectedBytes before reading the body', async () => {
    const { stream, state } = endlessStream(1024);
    const { client } = harness(
      () => new Response(stream, { headers: { 'content-length': '4097' } }),
    );
    const error = failure(await client.hashBody(FILE, { expectedBytes: 4096 }));
    expect(error.kind).toBe('too-large');
    expect(client.stats().bytes).toBe(0);
    expect(state.cancelled).toBe(true);
  });

  it('stops a body that runs past its own Content-Length', async () => {
    const { client } = harness(
      () => new Response(new Uint8Array(101), { headers: { 'content-length': '100' } }),
    );
    const error = failure(await client.hashBody(FILE));
    expect(error.kind).toBe('too-large');
    expect(error.detail).toContain('Content-Length');
  });

  it('ignores Content-Length when the body was content-decoded', async () => {
    const { client } = harness(
      () =>
        new Response('a longer decoded body', {
          headers: { 'content-length': '5', 'content-encoding': 'gzip' },
        }),
    );
    expect(success(await client.getText(FILE, { maxBytes: 100 })).text).toBe(
      'a longer decoded body',
    );
  });
});

describe('hashBody', () => {
  it('hashes a 5 MB body in many chunks exactly as crypto.subtle.digest does', async () => {
    const bytes = generateBytes(5 * 1024 * 1024);
    const { client } = harness(
      () =>
        new Response(chunkedStream(bytes, [65_536, 1, 100_003, 4096, 777]), {
          headers: { 'content-length': String(bytes.length) },
        }),
    );
    const hashed = success(await client.hashBody(FILE, { expectedBytes: bytes.length }));
    expect(hashed.bytes).toBe(bytes.length);
    expect(hashed.sha256).toBe(await sha256Hex(bytes));
    expect(client.stats().bytes).toBe(bytes.length);
  });

  it('hashes an empty body', async () => {
    const { client } = harness(() => new Response(null, { headers: { 'content-length': '0' } }));
    const hashed = success(await client.hashBody(FILE));
    expect(hashed.sha256).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
  });
});

describe('getText and getBytes', () => {
  it('decodes UTF-8 text and counts its bytes', async () => {
    const { client } = harness(() => new Response('naïve ✓'));
    const text = success(await client.getText(FILE, { maxBytes: 100 }));
    expect(text.text).toBe('naïve ✓');
    expect(text.bytes).toBe(new TextEncoder().encode('naïve ✓').length);
  });

  it('reports invalid UTF-8 without retrying', async () => {
    const { client, calls } = harness(() => new Response(new Uint8Array([0x7b, 0xff, 0xfe, 0x7d])));
    const error = failure(await client.getText(FILE, { maxBytes: 100 }));
    expect(error.kind).toBe('invalid-utf8');
    expect(error.meta?.status).toBe(200);
    expect(calls).toHaveLength(1);
  });

  it('stops reading text past maxBytes without reading everything', async () => {
    const { stream, state } = endlessStream(1024);
    const { client, calls } = harness(() => new Response(stream));
    const error = failure(await client.getText(FILE, { maxBytes: 10 * 1024 }));
    expect(error.kind).toBe('too-large');
    expect(state.cancelled).toBe(true);
    expect(state.pulls).toBeLessThan(20);
    expect(calls).toHaveLength(1);
  });

  it('returns the body bytes', async () => {
    const { client } = harness(() => new Response(new Uint8Array([1, 2, 3])));
    const got = success(await client.getBytes(FILE, { maxBytes: 3 }));
    expect([...got.bytes]).toEqual([1, 2, 3]);
  });
});

describe('subrequest budget', () => {
  it('returns budget-exhausted without fetching when nothing is left', async () => {
    const { client, calls } = harness(() => new Response('ok'), {
      subrequestBudget: { remaining: 0 },
    });
    expect(failure(await client.head(FILE)).kind).toBe('budget-exhausted');
    expect(calls).toHaveLength(0);
  });

  it('spends one unit per attempt and per redirect hop', async () => {
    let call = 0;
    const { client, budget } = harness(
      (url) => {
        call += 1;
        if (call === 1) return new Response(null, { status: 500 });
        return url === FILE ? redirect(`${BASE}/moved`) : new Response('ok');
      },
      { subrequestBudget: { remaining: 10 } },
    );
    success(await client.head(FILE));
    expect(budget.remaining).toBe(7);
  });

  it('stops midway through a redirect chain when the budget runs out', async () => {
    const { client, calls } = harness((url) => redirect(`${url}x`), {
      subrequestBudget: { remaining: 2 },
    });
    const error = failure(await client.head(FILE));
    expect(error.kind).toBe('budget-exhausted');
    expect(error.redirects).toHaveLength(2);
    expect(calls).toHaveLength(2);
  });

  it('is shared between clients', async () => {
    const shared = { remaining: 1 };
    const first = harness(() => new Response('ok'), { subrequestBudget: shared });
    const second = harness(() => new Response('ok'), { subrequestBudget: shared });
    success(await first.client.head(FILE));
    expect(failure(await second.client.head(FILE)).kind).toBe('budget-exhausted');
  });
});

describe('with the platform fetch', () => {
  it('calls the global fetch without losing its binding', async () => {
    const client = createDistClient({
      fetch,
      timeoutMs: 5000,
      retries: 0,
      backoffMs: 1,
      allowedRedirectHosts: [],
      subrequestBudget: { remaining: 1 },
    });
    // The test runner's catch-all answers every unarranged request with 599.
    const error = failure(await client.head(FILE));
    expect(error).toMatchObject({ kind: 'status', status: 599 });
  });
});
