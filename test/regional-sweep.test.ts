/**
 * Regional probes end to end: a sweep runs a RegionProbe Durable Object in each of the nine
 * default regions against a fixture dist site that answers per simulated region
 * (`x-monitor-region`), compares what every region was served, and stores each region's
 * latest result for /api/status. The site is served through a spy on `globalThis.fetch`:
 * a probe cannot receive the test's fetch over RPC, so these sweeps pass none.
 */
import { env } from 'cloudflare:test';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { createDistSite, type DistSite, type DistSiteOptions } from '../tools/dist-site/site';
import { runSweep } from '../src/jobs/sweep';
import { monitorStateStub } from '../src/durable/monitor-state';
import { incidentStubFor } from '../src/durable/incident-stubs';
import type { MonitorEnv } from '../src/env';
import type { Finding } from '../src/core/findings';
import { call } from './http-helpers';

const BASE = 'https://dist.test/dist';
const REGIONS = ['wnam', 'enam', 'sam', 'weur', 'eeur', 'apac', 'oc', 'afr', 'me'];
const NEWEST = 'v25.2.0';
const MANIFEST = `${BASE}/${NEWEST}/SHASUMS256.txt`;
const noWait = async () => {};
/**
 * The test's own clock: the site signs its manifests at SITE_CLOCK, and every sweep runs
 * at a time after it, never at the wall clock (which would make the site's signatures
 * "made in the future" once the real date passes a fixed sweep time, or vice versa).
 */
const SITE_CLOCK = new Date('2026-11-20T09:00:00Z');
const SWEEP_CLOCK = new Date('2026-11-20T10:00:00Z');

let site: DistSite;
let testEnv: MonitorEnv;

async function serveSite(options: DistSiteOptions = {}): Promise<void> {
  site = await createDistSite({ artifactsPerRelease: 4, now: SITE_CLOCK, ...options });
  vi.spyOn(globalThis, 'fetch').mockImplementation(site.fetcher);
  testEnv = {
    ...env,
    DIST_BASE_URL: BASE,
    ORIGIN_BASE_URL: '',
    RELEASE_KEYS: site.publicKeyArmored,
    REQUEST_RETRIES: '1',
    OUTAGE_THRESHOLD: '2',
    PROBE_SIMULATE_REGIONS: 'true',
  } as MonitorEnv;
}

beforeEach(async () => {
  await serveSite();
});

async function sweep(now: Date = SWEEP_CLOCK): Promise<Finding[]> {
  const run = await runSweep(testEnv, { trigger: 'test', sleep: noWait, now: () => now });
  if (run.status !== 'completed') throw new Error(`sweep did not run: ${run.status}`);
  return [...run.findings];
}

/** The site path of a URL, as the fixture's attacks take it (`/dist/…`). */
const pathOf = (url: string) => new URL(url).pathname;

const regionStatus = () => monitorStateStub(testEnv).regionStatus();

describe('regional probes on a clean site', () => {
  it('find nothing in any region across sweeps', async () => {
    expect(await sweep()).toEqual([]);
    expect(await sweep()).toEqual([]);
  });

  it('store each region’s colo, probe time and result for /api/status', async () => {
    const now = SWEEP_CLOCK;
    await sweep(now);
    const status = await regionStatus();
    expect(status.map((region) => region.region)).toEqual(REGIONS);
    expect(status.map((region) => region.result)).toEqual(REGIONS.map(() => 'ok'));
    expect(status.find((region) => region.region === 'weur')).toMatchObject({
      colo: 'FRA',
      hint: 'weur',
      matchesHint: true,
      probedAt: now.toISOString(),
      consecutiveFailures: 0,
    });
  });
});

describe('regional probes on the status API', () => {
  interface RegionJson {
    region: string;
    colo: string;
    probedAt: string;
    result?: string;
  }
  const publicRegions = async () => {
    const response = await call('/api/status', { env: testEnv });
    return ((await response.json()) as { regions: RegionJson[] }).regions;
  };

  it('GET /api/status lists each region’s colo, last probe time and result', async () => {
    const now = SWEEP_CLOCK;
    await sweep(now);
    const regions = await publicRegions();
    expect(regions.map((region) => region.region)).toEqual(REGIONS);
    expect(regions[0]).toEqual({
      region: 'wnam',
      colo: 'SJC',
      matchesHint: true,
      probedAt: now.toISOString(),
      result: 'ok',
      detail: expect.any(String),
    });
  });

  it('the status page lists each region with the data centre seen and the result', async () => {
    await serveSite({ regionColos: { wnam: 'FRA' } });
    await sweep();
    const page = await (await call('/', { env: testEnv })).text();
    expect(page).toContain('<h2 id="regions-heading">Regions</h2>');
    expect(page).toMatch(/Western Europe<\/th>\s*<td>\s*FRA\s*<\/td>/);
    expect(page).toMatch(/Western North America<\/th>\s*<td>\s*FRA \(outside the region\)/);
    expect(page.match(/Served as signed/g)).toHaveLength(REGIONS.length);
  });

  it('withholds the regions’ results from the public while a private incident is undisclosed', async () => {
    await sweep();
    site.poisonCache(pathOf(MANIFEST), ['weur']);
    await sweep();
    const regions = await publicRegions();
    expect(regions.find((region) => region.region === 'weur')).toEqual({
      region: 'weur',
      colo: 'FRA',
      matchesHint: true,
      probedAt: expect.any(String),
    });
  });
});

describe('regional probes find what one vantage point cannot', () => {
  it('one region served poisoned bytes is one P1 cache-poisoned naming that region', async () => {
    await sweep();
    site.poisonCache(pathOf(MANIFEST), ['weur']);
    const findings = await sweep();
    expect(findings).toHaveLength(1);
    expect(findings[0]).toMatchObject({
      kind: 'cache-poisoned',
      severity: 'P1',
      subject: MANIFEST,
      fingerprint: `cache-poisoned ${MANIFEST}`,
      regions: ['weur'],
      release: NEWEST,
    });
    const evidence = findings[0]?.evidence as {
      regions: Record<string, { verdict: string; colo: string }>;
    };
    expect(evidence.regions['weur']).toMatchObject({ verdict: 'cache-differs', colo: 'FRA' });
    expect(evidence.regions['wnam']?.verdict).toBe('ok');
  });

  it('the incident of a regional finding keeps its regions, which its alerts carry', async () => {
    await sweep();
    site.poisonCache(pathOf(MANIFEST), ['apac', 'oc']);
    await sweep();
    const detail = await incidentStubFor(testEnv, `cache-poisoned ${MANIFEST}`).get();
    if (!detail.ok) throw new Error('no incident');
    expect(detail.value.incident.regions).toEqual(['apac', 'oc']);
  });

  it('stores the poisoned region’s result as cache-poisoned, the others as ok', async () => {
    await sweep();
    site.poisonCache(pathOf(MANIFEST), ['weur']);
    await sweep();
    const byRegion = Object.fromEntries((await regionStatus()).map((r) => [r.region, r]));
    expect(byRegion['weur']?.result).toBe('cache-poisoned');
    expect(byRegion['weur']?.poisonedUrls).toEqual([MANIFEST]);
    expect(byRegion['eeur']?.result).toBe('ok');
  });

  it('two regions down is a P1 partial origin-unavailable naming both, after the threshold', async () => {
    await sweep();
    site.down(['sam', 'afr']);
    const first = await sweep();
    expect(first.map((finding) => finding.kind)).not.toContain('origin-unavailable');
    const findings = await sweep();
    const outage = findings.filter((finding) => finding.kind === 'origin-unavailable');
    expect(outage).toHaveLength(1);
    expect(outage[0]).toMatchObject({
      severity: 'P1',
      subject: BASE,
      fingerprint: `origin-unavailable ${BASE}`,
      regions: ['sam', 'afr'],
    });
  });

  it('every region down is the complete outage, P0, naming them all', async () => {
    await sweep();
    site.down(REGIONS);
    await sweep();
    const findings = await sweep();
    const outage = findings.find((finding) => finding.kind === 'origin-unavailable');
    expect(outage?.severity).toBe('P0');
    expect(outage?.regions).toEqual(REGIONS);
    expect((await regionStatus()).every((region) => region.result === 'down')).toBe(true);
  });

  it('a probe whose colo is outside its hint is reported as such', async () => {
    await serveSite({ regionColos: { wnam: 'FRA' } });
    await sweep();
    const status = await regionStatus();
    expect(status.find((region) => region.region === 'wnam')).toMatchObject({
      colo: 'FRA',
      hint: 'wnam',
      coloRegion: 'weur',
      matchesHint: false,
    });
    expect(status.filter((region) => region.matchesHint !== true).map((r) => r.region)).toEqual([
      'wnam',
    ]);
  });

  it('the hourly full hash catches a poisoned artifact outside the cache sample', async () => {
    const start = SWEEP_CLOCK;
    await sweep(start);
    const url = `${BASE}/${NEWEST}/${await largestArtifact(NEWEST)}`;
    site.poisonCache(pathOf(url), ['me']);
    const withinTheHour = await sweep(new Date(start.getTime() + 5 * 60_000));
    expect(withinTheHour).toEqual([]);
    const nextHour = await sweep(new Date(start.getTime() + 61 * 60_000));
    expect(nextHour.map((finding) => [finding.kind, finding.subject, finding.regions])).toEqual([
      ['cache-poisoned', url, ['me']],
    ]);
  });
});

describe('regional probes: limits', () => {
  it('are skipped when the sweep is given its own fetch, which a probe cannot use', async () => {
    const run = await runSweep(testEnv, {
      trigger: 'test',
      fetch: site.fetcher,
      sleep: noWait,
      now: () => SWEEP_CLOCK,
    });
    expect(run.status).toBe('completed');
    expect(await regionStatus()).toEqual([]);
  });

  it('run in no region when PROBE_REGIONS is empty', async () => {
    testEnv = { ...testEnv, PROBE_REGIONS: '' } as MonitorEnv;
    await sweep();
    expect(await regionStatus()).toEqual([]);
  });

  it('spend one unit of the sweep’s budget per region, and are skipped when it is spent', async () => {
    testEnv = { ...testEnv, SUBREQUEST_BUDGET: '110' } as MonitorEnv;
    const run = await runSweep(testEnv, { trigger: 'test', sleep: noWait, now: () => SWEEP_CLOCK });
    if (run.status !== 'completed') throw new Error('no sweep');
    expect(run.summary.skipped).toContainEqual({
      what: 'regional probes',
      reason: 'subrequest-budget',
      count: REGIONS.length,
    });
  });
});

/** The release's largest artifact: never in the cache sample, which takes the smallest. */
async function largestArtifact(version: string): Promise<string> {
  const sized = await Promise.all(
    site.files(version).map(async (file) => {
      const head = await site.handle(new Request(`${BASE}/${version}/${file}`, { method: 'HEAD' }));
      return { file, size: Number(head.headers.get('content-length')) };
    }),
  );
  const [largest] = sized.sort((a, b) => b.size - a.size);
  if (!largest) throw new Error(`${version} has no artifacts`);
  return largest.file;
}
