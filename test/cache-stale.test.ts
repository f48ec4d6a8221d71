/**
 * Stale is not poisoned (issue 14.2): a release promoted without a cache purge leaves the
 * edge serving the previous index.json for up to s-maxage. That is a missing purge, a
 * low-severity `cache-stale` notice that closes itself when the cache converges and is
 * raised only when it outlives s-maxage plus a margin. A cached index that is anything else
 * than exactly an older index stays `cache-poisoned`. Through the real sweep and incident
 * engine; the regional probes see the same stale copy and join the notice.
 */
import { env } from 'cloudflare:test';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { staleKey } from '../src/adapters/staleness-store';
import {
  classifyCachedIndex,
  isExplainedByStaleCopy,
  sharedMaxAgeSeconds,
  STALE_MARGIN_MS,
} from '../src/core/cache-staleness';
import { createFinding } from '../src/core/findings';
import type { IncidentSummary } from '../src/core/incident';
import { incidentIndexStub } from '../src/durable/incident-stubs';
import type { MonitorEnv } from '../src/env';
import { runSweep } from '../src/jobs/sweep';
import { createDistSite, type DistSite } from '../tools/dist-site/site';

const BASE = 'https://dist.test/dist';
const INDEX = `${BASE}/index.json`;
const SITE_CLOCK = new Date('2026-11-20T09:00:00Z');
const SWEEP_CLOCK = new Date('2026-11-20T10:00:00Z');
const MINUTE = 60_000;
const S_MAXAGE_MS = 14_400 * 1000;
const noWait = async () => {};

let site: DistSite;
let testEnv: MonitorEnv;
/** index.json as the origin serves it, and the edge's copy from before the newest release. */
let current: string;
let previous: string;

beforeEach(async () => {
  site = await createDistSite({ now: SITE_CLOCK, artifactsPerRelease: 2 });
  testEnv = {
    ...env,
    DIST_BASE_URL: BASE,
    ORIGIN_BASE_URL: '',
    RELEASE_KEYS: site.publicKeyArmored,
    REQUEST_RETRIES: '0',
    WATCH_NEWEST: '2',
    WATCH_LINES: '25',
  } as MonitorEnv;
  current = await (await site.fetcher(INDEX)).text();
  previous = JSON.stringify((JSON.parse(current) as unknown[]).slice(1));
});

async function sweep(at: Date, fetcher: typeof fetch = site.fetcher) {
  const run = await runSweep(testEnv, {
    trigger: 'test',
    fetch: fetcher,
    sleep: noWait,
    now: () => at,
  });
  if (run.status !== 'completed') throw new Error(`sweep did not run: ${run.status}`);
  return run;
}

/** The site with the edge serving `cachedIndex` for plain index.json requests. */
function edgeServing(cachedIndex: string): typeof fetch {
  return async (input, init) => {
    const request = new Request(input, init);
    const url = new URL(request.url);
    if (url.pathname !== '/dist/index.json' || url.search !== '') return site.fetcher(request);
    const honest = await site.fetcher(request);
    const headers = new Headers(honest.headers);
    headers.set('content-length', String(new TextEncoder().encode(cachedIndex).byteLength));
    headers.set('etag', '"an-older-index"');
    return new Response(request.method === 'HEAD' ? null : cachedIndex, { status: 200, headers });
  };
}

const minutesAfter = (start: Date, minutes: number) => new Date(start.getTime() + minutes * MINUTE);

async function incidents(): Promise<IncidentSummary[]> {
  return incidentIndexStub(env).list({ limit: 500 });
}

describe('a release promoted without a purge', () => {
  it('is a public cache-stale notice (P3), never cache-poisoned or a rollback', async () => {
    const run = await sweep(SWEEP_CLOCK, edgeServing(previous));
    const kinds = run.findings.map((finding) => `${finding.kind} ${finding.severity}`);
    expect(kinds).toEqual(['cache-stale P3']);
    const [stale] = run.findings;
    expect(stale?.subject).toBe(INDEX);
    expect(stale?.evidence['missingReleases']).toEqual([site.releases[0]]);
    expect(await incidents()).toEqual([
      expect.objectContaining({
        kind: 'cache-stale',
        severity: 'P3',
        security: false,
        state: 'open',
      }),
    ]);
  });

  it('closes itself when the cache converges, and forgets when it started', async () => {
    await sweep(SWEEP_CLOCK, edgeServing(previous));
    expect(await env.PINS.get(staleKey(INDEX))).not.toBeNull();
    for (let i = 1; i <= 3; i += 1) {
      expect((await sweep(minutesAfter(SWEEP_CLOCK, 5 * i))).findings).toEqual([]);
    }
    expect((await incidents()).map((incident) => `${incident.kind} ${incident.state}`)).toEqual([
      'cache-stale resolved',
    ]);
    expect(await env.PINS.get(staleKey(INDEX))).toBeNull();
  });

  it('is raised to P2 only once it outlives s-maxage plus the margin, on the monitor’s own clock', async () => {
    const stale = edgeServing(previous);
    await sweep(SWEEP_CLOCK, stale);
    const withinLimit = minutesAfter(SWEEP_CLOCK, (S_MAXAGE_MS + STALE_MARGIN_MS) / MINUTE - 5);
    expect((await sweep(withinLimit, stale)).findings[0]?.severity).toBe('P3');
    const beyond = minutesAfter(SWEEP_CLOCK, (S_MAXAGE_MS + STALE_MARGIN_MS) / MINUTE + 5);
    const late = await sweep(beyond, stale);
    expect(late.findings.map((finding) => `${finding.kind} ${finding.severity}`)).toEqual([
      'cache-stale P2',
    ]);
    expect((await incidents())[0]).toMatchObject({ kind: 'cache-stale', severity: 'P2' });
  });
});

describe('a release promoted without a purge, on the fixture’s edge cache', () => {
  it('is cache-stale until the purge, then closes itself: no P0/P1, nothing left open', async () => {
    site = await createDistSite({ now: SITE_CLOCK, artifactsPerRelease: 2, edgeCache: true });
    testEnv = { ...testEnv, RELEASE_KEYS: site.publicKeyArmored } as MonitorEnv;
    expect((await sweep(SWEEP_CLOCK)).findings).toEqual([]);
    await site.apply({ attack: 'promote-release', version: 'v25.3.0' });
    const stale = await sweep(minutesAfter(SWEEP_CLOCK, 5));
    expect(stale.findings.map((finding) => `${finding.kind} ${finding.severity}`)).toEqual([
      'cache-stale P3',
    ]);
    expect(stale.findings[0]?.evidence['missingReleases']).toEqual(['v25.3.0']);
    await site.apply({ attack: 'purge' });
    for (let i = 2; i <= 4; i += 1) {
      expect((await sweep(minutesAfter(SWEEP_CLOCK, 5 * i))).findings).toEqual([]);
    }
    const list = await incidents();
    expect(
      list.filter((incident) => incident.severity === 'P0' || incident.severity === 'P1'),
    ).toEqual([]);
    expect(list.map((incident) => `${incident.kind} ${incident.state}`)).toEqual([
      'cache-stale resolved',
    ]);
  });
});

describe('what stays cache-poisoned', () => {
  it('a cached index that lists a release with other fields', async () => {
    const rewritten = (JSON.parse(current) as Record<string, unknown>[]).slice(1);
    const first = rewritten[0] as Record<string, unknown>;
    rewritten[0] = { ...first, security: !(first['security'] as boolean) };
    const run = await sweep(SWEEP_CLOCK, edgeServing(JSON.stringify(rewritten)));
    const poisoned = run.findings.find((finding) => finding.kind === 'cache-poisoned');
    expect(poisoned).toMatchObject({ subject: INDEX, severity: 'P1' });
    expect(run.findings.map((finding) => finding.kind)).not.toContain('cache-stale');
  });

  it('a cached index older than one the site already served (a cache that went back)', async () => {
    await sweep(SWEEP_CLOCK);
    const run = await sweep(minutesAfter(SWEEP_CLOCK, 5), edgeServing(previous));
    expect(run.findings.map((finding) => finding.kind)).toContain('cache-poisoned');
    expect(run.findings.map((finding) => finding.kind)).not.toContain('cache-stale');
  });
});

describe('regional probes that see the same stale copy', () => {
  it('join the notice instead of calling it cache-poisoned', async () => {
    vi.spyOn(globalThis, 'fetch').mockImplementation(edgeServing(previous));
    testEnv = { ...testEnv, PROBE_SIMULATE_REGIONS: 'true' } as MonitorEnv;
    const run = await runSweep(testEnv, { trigger: 'test', sleep: noWait, now: () => SWEEP_CLOCK });
    if (run.status !== 'completed') throw new Error('no sweep');
    expect(run.findings.map((finding) => finding.kind)).toEqual(['cache-stale']);
    expect(run.findings[0]?.regions?.length).toBeGreaterThan(0);
  });
});

describe('classifyCachedIndex', () => {
  const entry = (version: string, extra: Record<string, unknown> = {}) => ({
    version,
    date: '2026-11-01',
    files: ['linux-x64'],
    v8: '13.0',
    lts: false,
    security: false,
    ...extra,
  });
  const text = (...entries: unknown[]) => JSON.stringify(entries);
  const options = { maxBytes: 1 << 20 };

  it.each([
    ['the same text', text(entry('v2.0.0')), text(entry('v2.0.0')), 'same'],
    ['an older index', text(entry('v1.0.0')), text(entry('v2.0.0'), entry('v1.0.0')), 'stale'],
    [
      'the same fields in another order and spacing',
      JSON.stringify([Object.fromEntries(Object.entries(entry('v1.0.0')).reverse())], null, 2),
      text(entry('v2.0.0'), entry('v1.0.0')),
      'stale',
    ],
    ['a release the origin lacks', text(entry('v3.0.0')), text(entry('v2.0.0')), 'different'],
    [
      'a release with other fields',
      text(entry('v1.0.0', { security: true })),
      text(entry('v2.0.0'), entry('v1.0.0')),
      'different',
    ],
    [
      'an added release that is not newer',
      text(entry('v2.0.0')),
      text(entry('v2.0.0'), entry('v1.5.0')),
      'different',
    ],
    [
      'the same releases in other bytes',
      text(entry('v1.0.0')),
      `${text(entry('v1.0.0'))}\n`,
      'different',
    ],
    ['a cached copy that does not parse', '[{"version": "v1.', text(entry('v1.0.0')), 'different'],
    ['an empty cached copy', '[]', text(entry('v1.0.0')), 'different'],
  ])('%s is %s', (_name, cached, origin, kind) => {
    expect(classifyCachedIndex(cached, origin, options).kind).toBe(kind);
  });

  it('is not stale when the cached copy is older than the newest release already served', () => {
    const cached = text(entry('v1.0.0'));
    const origin = text(entry('v2.0.0'), entry('v1.0.0'));
    expect(classifyCachedIndex(cached, origin, { ...options, highestSeen: 'v2.0.0' }).kind).toBe(
      'different',
    );
    expect(classifyCachedIndex(cached, origin, { ...options, highestSeen: 'v1.0.0' })).toEqual({
      kind: 'stale',
      missing: ['v2.0.0'],
      cachedNewest: 'v1.0.0',
      originNewest: 'v2.0.0',
    });
  });

  it('reads s-maxage from the success policy, else max-age, else 0', () => {
    expect(sharedMaxAgeSeconds('public, max-age=3600, s-maxage=14400')).toBe(14_400);
    expect(sharedMaxAgeSeconds('public, max-age=600')).toBe(600);
    expect(sharedMaxAgeSeconds('no-store')).toBe(0);
  });
});

describe('isExplainedByStaleCopy', () => {
  const OLD = 'a'.repeat(64);
  const NEW = 'b'.repeat(64);
  const stale = createFinding(
    {
      kind: 'cache-stale',
      subject: INDEX,
      summary: 's',
      evidence: { cached: { sha256: OLD }, origin: { sha256: NEW } },
    },
    SWEEP_CLOCK,
  );
  const regional = (seen: Record<string, { cached: string; origin?: string }>) =>
    createFinding(
      {
        kind: 'cache-poisoned',
        subject: INDEX,
        summary: 'r',
        regions: Object.keys(seen),
        evidence: {
          regional: true,
          regions: Object.fromEntries(
            Object.entries(seen).map(([region, { cached, origin }]) => [
              region,
              {
                cached: { sha256: cached },
                ...(origin !== undefined && { origin: { sha256: origin } }),
              },
            ]),
          ),
        },
      },
      SWEEP_CLOCK,
    );

  it('explains regions served the stale copy from their cache and the current one from the origin', () => {
    expect(isExplainedByStaleCopy(regional({ weur: { cached: OLD, origin: NEW } }), stale)).toBe(
      true,
    );
    expect(isExplainedByStaleCopy(regional({ weur: { cached: OLD } }), stale)).toBe(true);
  });

  it('does not explain a region served any other copy, from its cache or its origin', () => {
    const other = 'c'.repeat(64);
    expect(
      isExplainedByStaleCopy(
        regional({ weur: { cached: OLD, origin: NEW }, apac: { cached: other, origin: NEW } }),
        stale,
      ),
    ).toBe(false);
    expect(isExplainedByStaleCopy(regional({ weur: { cached: OLD, origin: other } }), stale)).toBe(
      false,
    );
  });
});
