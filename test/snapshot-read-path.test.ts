/**
 * The public read path (src/http/routes-public.ts): every public route answers from the
 * status snapshot in KV, through the Cache API, and never touches a Durable Object — the
 * test env's Durable Object namespaces fail and record any use. Every answer says when its
 * snapshot was taken; a stale snapshot, a missing one and a failing KV each get an honest
 * answer, never a 500. `PUBLIC_READ_PATH = "live"` keeps the old path for benchmarks. An
 * isolate remembers its answers for a second, and forgets them when it publishes.
 */
import { createExecutionContext, env, waitOnExecutionContext } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { HEARTBEAT_KEY, SNAPSHOT_POINTER_KEY } from '../src/adapters/snapshot-store';
import { createAnswerMemo, noteSnapshotPublished } from '../src/http/answer-memo';
import { memoKeyOf } from '../src/http/public-answer';
import { createApp } from '../src/http/app';
import { nextHeartbeat } from '../src/http/snapshot-health';
import type { MonitorEnv } from '../src/env';
import {
  ALICE_TOKEN,
  call,
  json,
  openMissingFileIncident,
  openTamperIncident,
  publishNow,
  seedSweep,
  testEnv,
} from './http-helpers';

/** The env with every Durable Object namespace replaced by one that records and refuses. */
function withoutDurableObjects(base: MonitorEnv): { env: MonitorEnv; touched: string[] } {
  const touched: string[] = [];
  const guarded: Record<string, unknown> = { ...base };
  for (const [name, value] of Object.entries(base)) {
    const isNamespace =
      typeof value === 'object' &&
      value !== null &&
      typeof (value as { idFromName?: unknown }).idFromName === 'function';
    if (!isNamespace) continue;
    guarded[name] = new Proxy(value as object, {
      get(_target, property) {
        touched.push(`${name}.${String(property)}`);
        throw new Error(`a public page view used the Durable Object namespace ${name}`);
      },
    });
  }
  return { env: guarded as unknown as MonitorEnv, touched };
}

/** Recording wrapper around a real Cache API cache. */
async function recordingCache() {
  const cache = await caches.open(`public-${crypto.randomUUID()}`);
  const log = { hits: [] as string[], misses: [] as string[], puts: [] as string[] };
  const wrapped = {
    async match(request: Request) {
      const hit = await cache.match(request);
      (hit === undefined ? log.misses : log.hits).push(new URL(request.url).pathname);
      return hit;
    },
    async put(request: Request, response: Response) {
      log.puts.push(new URL(request.url).pathname);
      return cache.put(request, response);
    },
  } as unknown as Cache;
  return { cache: wrapped, log };
}

function publicRoutes(publicId: string): string[] {
  return [
    '/',
    '/badge.svg',
    '/incidents.atom',
    '/healthz',
    '/api/status',
    '/api/incidents',
    '/api/incidents?state=open&limit=5',
    `/api/incidents/${publicId}`,
    `/api/incidents/${'0'.repeat(32)}`,
    '/api/sweeps/latest',
    '/metrics',
  ];
}

describe('a public page view', () => {
  it('makes no Durable Object call, from KV or from the cache', async () => {
    await seedSweep();
    await openTamperIncident();
    const publicId = await openMissingFileIncident();
    const { env: guarded, touched } = withoutDurableObjects(testEnv);
    const { cache, log } = await recordingCache();
    for (const pass of ['cold', 'warm']) {
      for (const route of publicRoutes(publicId)) {
        const response = await call(route, { env: guarded, deps: { publicCache: () => cache } });
        expect(response.status, `${pass} ${route}`).toBeLessThan(500);
        await response.arrayBuffer();
      }
    }
    expect(touched).toEqual([]);
    expect(log.hits.length).toBeGreaterThan(0);
  });

  it('is caught by the instrumentation when the live path is switched on', async () => {
    await seedSweep();
    const { env: guarded, touched } = withoutDurableObjects({
      ...testEnv,
      PUBLIC_READ_PATH: 'live',
    });
    const response = await call('/api/status', { env: guarded });
    expect(response.status).toBe(500);
    expect(touched.length).toBeGreaterThan(0);
  });

  it('is served from the cache until a new snapshot exists, then from the new one', async () => {
    await seedSweep();
    const { cache, log } = await recordingCache();
    const deps = { publicCache: () => cache };
    const first = await (await call('/api/status', { deps })).text();
    const second = await (await call('/api/status', { deps })).text();
    expect(second).toBe(first);
    expect(log).toMatchObject({ misses: ['/api/status'], hits: ['/api/status'] });
    await openMissingFileIncident();
    const third = await json<{ status: string }>(await call('/api/status', { deps }));
    expect(third.status).toBe('minor');
    expect(log.misses).toHaveLength(2);
  });

  it('never stores an operator’s answer in the cache', async () => {
    await seedSweep();
    const { cache, log } = await recordingCache();
    const response = await call('/api/status', {
      token: ALICE_TOKEN,
      deps: { publicCache: () => cache },
    });
    expect((await json(response)).audience).toBe('operator');
    expect(log.puts).toEqual([]);
  });
});

describe('staleness', () => {
  it('every public answer says when its snapshot was taken', async () => {
    const takenAt = new Date(Date.now() - 60_000);
    await seedSweep();
    const publicId = await openMissingFileIncident();
    await publishNow(takenAt);
    for (const route of publicRoutes(publicId)) {
      const response = await call(route);
      expect(response.headers.get('x-snapshot-taken-at'), route).toBe(takenAt.toISOString());
      expect(response.headers.get('last-modified'), route).toBe(takenAt.toUTCString());
      expect(Number(response.headers.get('x-snapshot-version')), route).toBeGreaterThan(0);
    }
    const status = await json<{ snapshot: { takenAt: string } }>(await call('/api/status'));
    expect(status.snapshot.takenAt).toBe(takenAt.toISOString());
    expect(await (await call('/')).text()).toContain(
      `Generated ${takenAt.toISOString().slice(0, 16).replace('T', ' ')} UTC.`,
    );
    expect(await (await call('/badge.svg')).text()).toMatch(
      /<title>dist integrity: minor issue \(status of .+ UTC\)<\/title>/,
    );
    expect(await json(await call('/healthz'))).toMatchObject({
      snapshotTakenAt: takenAt.toISOString(),
    });
    expect(await (await call('/metrics')).text()).toContain(
      `dist_monitor_status_snapshot_timestamp_seconds ${takenAt.getTime() / 1000}`,
    );
    expect(await json(await call(`/api/incidents/${publicId}`))).toMatchObject({
      snapshot: { takenAt: takenAt.toISOString() },
    });
  });

  it('a stale snapshot says the monitor is behind, on the page, the API and the badge', async () => {
    const summary = await seedSweep();
    const later = new Date(Date.parse(summary.finishedAt) + 20 * 60_000);
    const deps = { now: () => later, publicCache: () => undefined };
    expect(await (await call('/', { deps })).text()).toContain(
      'The monitor is behind:</strong> the public status snapshot was taken 20 min ago',
    );
    expect((await json(await call('/api/status', { deps }))).monitor).toMatchObject({
      status: 'degraded',
    });
    expect(await (await call('/badge.svg', { deps })).text()).toContain('>monitor behind<');
  });

  it('/healthz tells a broken snapshot writer from stopped sweeps', async () => {
    const summary = await seedSweep();
    const later = new Date(Date.parse(summary.finishedAt) + 20 * 60_000);
    // The sweeps go on (their heartbeat moves) but no snapshot followed.
    await env.STATUS_SNAPSHOTS.put(
      HEARTBEAT_KEY,
      JSON.stringify(
        nextHeartbeat(
          { sweeps: 1, lastFinishedAt: summary.finishedAt, lastOutcome: 'clean' },
          {
            finishedAt: new Date(later.getTime() - 60_000).toISOString(),
            outcome: 'clean',
          },
        ),
      ),
    );
    const writerBroken = await call('/healthz', { deps: { now: () => later } });
    expect(writerBroken.status).toBe(503);
    expect(await json(writerBroken)).toMatchObject({
      status: 'degraded',
      reason: expect.stringContaining('the public status snapshot was taken 20 min ago'),
    });
    const muchLater = new Date(later.getTime() + 30 * 60_000);
    const sweepsStopped = await json(await call('/healthz', { deps: { now: () => muchLater } }));
    expect(sweepsStopped.reason).toMatch(/^the last successful sweep finished 31 min ago/);
  });
});

describe('before the first snapshot', () => {
  it('answers as a monitor that is starting, cached nowhere', async () => {
    const page = await call('/');
    expect(page.status).toBe(200);
    expect(page.headers.get('x-snapshot')).toBe('none');
    expect(page.headers.get('cache-control')).toBe('no-store');
    expect(await page.text()).toContain('The monitor is starting: no sweep has finished yet.');
    const status = await json(await call('/api/status'));
    expect(status).toMatchObject({
      status: 'operational',
      snapshot: null,
      monitor: { phase: 'starting' },
    });
    expect((await call('/api/sweeps/latest')).status).toBe(404);
    expect((await call('/metrics')).status).toBe(200);
  });

  it('says so when sweeps ran but no snapshot was ever published', async () => {
    await env.STATUS_SNAPSHOTS.put(
      HEARTBEAT_KEY,
      JSON.stringify(
        nextHeartbeat(undefined, { finishedAt: new Date().toISOString(), outcome: 'clean' }),
      ),
    );
    const health = await call('/healthz');
    expect(health.status).toBe(503);
    expect(await json(health)).toMatchObject({
      reason: 'sweeps ran but no public status snapshot was published',
    });
    expect(await (await call('/')).text()).toContain('The monitor is behind:');
  });
});

describe('a snapshot store that fails', () => {
  it('is a 503 with Retry-After on every public route, never a 500', async () => {
    await seedSweep();
    const broken = {
      ...testEnv,
      STATUS_SNAPSHOTS: {
        get: () => Promise.reject(new Error('KV GET failed: 500 Internal Server Error')),
      } as unknown as KVNamespace,
    };
    for (const route of [
      '/',
      '/api/status',
      '/badge.svg',
      '/incidents.atom',
      '/healthz',
      '/metrics',
    ]) {
      const response = await call(route, { env: broken });
      expect(response.status, route).toBe(503);
      expect(response.headers.get('retry-after'), route).toBe('5');
      expect(await json(response), route).toMatchObject({
        title: 'Status temporarily unavailable',
      });
    }
  });

  it('is a 503 when the pointer names a snapshot that is not there', async () => {
    await seedSweep();
    const pointer = JSON.parse((await env.STATUS_SNAPSHOTS.get(SNAPSHOT_POINTER_KEY)) ?? '{}');
    await env.STATUS_SNAPSHOTS.put(
      SNAPSHOT_POINTER_KEY,
      JSON.stringify({
        ...pointer,
        id: 'gone',
        version: 999,
        key: 'status-snapshot/v/000000000999',
      }),
    );
    expect((await call('/api/status')).status).toBe(503);
  });

  it('is a 503 when the pointer is not what the writer writes', async () => {
    await env.STATUS_SNAPSHOTS.put(
      SNAPSHOT_POINTER_KEY,
      '{"format":1,"version":"1\u0000<script>"}',
    );
    const response = await call('/');
    expect(response.status).toBe(503);
    expect(await response.text()).not.toContain('<script>');
  });
});

describe('operators and the benchmark switch', () => {
  it('an operator’s /api/status is live and full', async () => {
    await seedSweep();
    await openTamperIncident();
    const body = await json<{ audience: string; incidents: { subject: string }[] }>(
      await call('/api/status', { token: ALICE_TOKEN }),
    );
    expect(body.audience).toBe('operator');
    expect(body.incidents[0]?.subject).toMatch(/^https:\/\/dist\.test\//);
  });

  it('a wrong token is still a 401, not the public view', async () => {
    expect((await call('/api/status', { token: 'wrong' })).status).toBe(401);
    expect((await call('/metrics', { token: 'wrong' })).status).toBe(401);
  });

  it('PUBLIC_READ_PATH=live reads the Durable Objects, without a snapshot', async () => {
    const live = { ...testEnv, PUBLIC_READ_PATH: 'live' };
    await openMissingFileIncident();
    await env.STATUS_SNAPSHOTS.delete(SNAPSHOT_POINTER_KEY);
    const status = await json(await call('/api/status', { env: live }));
    expect(status).toMatchObject({ status: 'minor' });
    expect(status['snapshot']).toBeUndefined();
    expect((await json(await call('/api/status'))).status).toBe('operational');
  });
});

describe('the isolate’s one-second memory of answers', () => {
  /**
   * One app for every request, as an isolate has (the `call` helper builds one per call),
   * with a clock that stands still: only a publication can make it forget.
   */
  function isolate(kv: { reads: string[] }) {
    const still = new Date();
    const app = createApp({ publicCache: () => undefined, now: () => still });
    const counted = {
      ...testEnv,
      STATUS_SNAPSHOTS: {
        get: (key: string, options?: unknown) => {
          kv.reads.push(key);
          return env.STATUS_SNAPSHOTS.get(key, options as KVNamespaceGetOptions<'text'>);
        },
      } as unknown as KVNamespace,
    };
    return async (path: string) => {
      const ctx = createExecutionContext();
      const response = await app.request(`https://monitor.test${path}`, {}, counted, ctx);
      await waitOnExecutionContext(ctx);
      return response;
    };
  }

  it('answers a repeated view without reading KV', async () => {
    await seedSweep();
    const kv = { reads: [] as string[] };
    const get = isolate(kv);
    const first = await (await get('/api/status')).text();
    const reads = kv.reads.length;
    expect(reads).toBeGreaterThan(0);
    expect(await (await get('/api/status')).text()).toBe(first);
    expect(kv.reads).toHaveLength(reads);
  });

  it('forgets at once when a snapshot is published from the same isolate', async () => {
    await seedSweep();
    const get = isolate({ reads: [] });
    expect((await json(await get('/api/status'))).status).toBe('operational');
    await openMissingFileIncident();
    expect((await json(await get('/api/status'))).status).toBe('minor');
  });
});

describe('createAnswerMemo', () => {
  const pointer = {
    format: 1,
    id: 'snap-a',
    version: 1,
    takenAt: '2040-01-01T00:00:00.000Z',
    key: 'status-snapshot/v/000000000001',
    health: { sweeps: 1, sweepRunning: false },
  } as const;

  it('keeps the pointer and answers for one second, for the same snapshot only', async () => {
    let clock = 0;
    const memo = createAnswerMemo(() => clock);
    memo.rememberPointer(pointer);
    await memo.remember('k', 'snap-a', new Response('page', { headers: { 'x-a': '1' } }));
    clock = 999;
    expect(memo.pointer()).toEqual(pointer);
    expect(await memo.answer('k', 'snap-a')?.text()).toBe('page');
    expect(memo.answer('k', 'snap-a')?.headers.get('x-a')).toBe('1');
    expect(memo.answer('k', 'snap-b')).toBeUndefined();
    clock = 1000;
    expect(memo.pointer()).toBeUndefined();
    expect(memo.answer('k', 'snap-a')).toBeUndefined();
  });

  it('gives every view the same bytes, text beyond ASCII included', async () => {
    const memo = createAnswerMemo(() => 0);
    const page = 'Node.js — all systems operational ✓';
    const first = await memo.remember('k', 'snap-a', new Response(page));
    expect(await first.text()).toBe(page);
    for (let view = 0; view < 3; view += 1)
      expect(await memo.answer('k', 'snap-a')?.text()).toBe(page);
  });

  it('never keeps an answer that is not a 200', async () => {
    const memo = createAnswerMemo(() => 0);
    await memo.remember('k', 'snap-a', new Response('gone', { status: 404 }));
    expect(memo.answer('k', 'snap-a')).toBeUndefined();
  });

  it('forgets everything when a snapshot is published in the isolate', async () => {
    const memo = createAnswerMemo(() => 0);
    memo.rememberPointer(pointer);
    await memo.remember('k', 'snap-a', new Response('page'));
    noteSnapshotPublished();
    expect(memo.pointer()).toBeUndefined();
    expect(memo.answer('k', 'snap-a')).toBeUndefined();
  });
});

describe('memoKeyOf', () => {
  it('keeps the URL up to its query and only the query the answer reads, in one order', () => {
    const url = 'https://status.example/api/incidents?offset=0&state=all&utm=x&limit=5#top';
    const query = { state: 'all', limit: '5', offset: '0' };
    expect(memoKeyOf(url, query)).toBe(
      'https://status.example/api/incidents?limit=5&offset=0&state=all',
    );
    expect(
      memoKeyOf('https://status.example/api/incidents?limit=5&state=all&offset=0', query),
    ).toBe(memoKeyOf(url, query));
  });

  it('tells pages, hosts and query values apart', () => {
    const keys = [
      memoKeyOf('https://status.example/'),
      memoKeyOf('https://status.example/?view=x'),
      memoKeyOf('https://status.example/api/status'),
      memoKeyOf('https://other.example/api/status'),
      memoKeyOf('https://status.example/api/incidents', { state: 'open' }),
      memoKeyOf('https://status.example/api/incidents', { state: 'resolved' }),
      memoKeyOf('https://status.example/api/incidents', { state: 'open&limit=1' }),
    ];
    expect(keys[0]).toBe(keys[1]);
    expect(new Set(keys.slice(1)).size).toBe(keys.length - 1);
  });
});
