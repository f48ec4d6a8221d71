/**
 * Containment re-verifies from the regions that saw the problem: after the (global) purge,
 * the RegionProbe of each region the finding names fetches and hashes the URL again.
 */
import { env } from 'cloudflare:test';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createDistSite, type DistSite } from '../tools/dist-site/site';
import { createFinding, type Finding } from '../src/core/findings';
import type { ReverifyFunction, ReverifyResult } from '../src/adapters/reverify-url';
import { createRegionalReverify } from '../src/durable/region-reverify';
import type { MonitorEnv } from '../src/env';
import {
  installIncidentDependencies,
  RecordingChannel,
  resetIncidentDependencies,
  runAlarms,
  stubOf,
  TestClock,
} from './incident-helpers';

const BASE = 'https://dist.test/dist';
const VERSION = 'v24.11.1';
const URL_MANIFEST = `${BASE}/${VERSION}/SHASUMS256.txt`;

const noWait = { backoffMs: 0, retryAfterCapMs: 0 };

let site: DistSite;
let testEnv: MonitorEnv;
let hereCalls: string[];
const here: ReverifyFunction = async (url) => {
  hereCalls.push(url);
  return { url, verdict: 'match', detail: 'checked from the monitor' } satisfies ReverifyResult;
};

afterEach(() => {
  resetIncidentDependencies();
});

beforeEach(async () => {
  site = await createDistSite({ artifactsPerRelease: 2 });
  vi.spyOn(globalThis, 'fetch').mockImplementation(site.fetcher);
  testEnv = { ...env, DIST_BASE_URL: BASE, PROBE_SIMULATE_REGIONS: 'true' } as MonitorEnv;
  hereCalls = [];
});

async function cleanSha256(url: string): Promise<string> {
  const body = await (await site.handle(new Request(url))).arrayBuffer();
  const digest = await crypto.subtle.digest('SHA-256', body);
  return [...new Uint8Array(digest)].map((byte) => byte.toString(16).padStart(2, '0')).join('');
}

async function poisonedFinding(regions: string[], regionalOnly = true): Promise<Finding> {
  return createFinding(
    {
      kind: 'cache-poisoned',
      subject: URL_MANIFEST,
      summary: 'test',
      expected: await cleanSha256(URL_MANIFEST),
      regions,
      evidence: regionalOnly ? { regional: true } : { differences: ['bytes'] },
    },
    new Date(),
  );
}

describe('regional re-verification', () => {
  it('re-hashes the URL in every region the finding names, and names the one still poisoned', async () => {
    const finding = await poisonedFinding(['weur', 'apac']);
    site.poisonCache(`/dist/${VERSION}/SHASUMS256.txt`, ['weur']);
    const result = await createRegionalReverify(testEnv, here, noWait)(URL_MANIFEST, finding);
    expect(result.verdict).toBe('mismatch');
    expect(result.detail).toMatch(/weur: mismatch, served [0-9a-f]{64} \(FRA\)/);
    expect(result.detail).toContain('apac: match, matches (BOM)');
    expect(hereCalls).toEqual([]);
  });

  it('is a match once every named region is served the expected bytes', async () => {
    const result = await createRegionalReverify(
      testEnv,
      here,
      noWait,
    )(URL_MANIFEST, await poisonedFinding(['weur', 'apac']));
    expect(result.verdict).toBe('match');
  });

  it('says unreachable for a region that does not answer', async () => {
    site.down(['apac']);
    const result = await createRegionalReverify(
      testEnv,
      here,
      noWait,
    )(URL_MANIFEST, await poisonedFinding(['weur', 'apac']));
    expect(result.verdict).toBe('unreachable');
    expect(result.detail).toContain('apac: unreachable');
  });

  it('re-verifies from the monitor too when the sweep’s own vantage point saw the problem', async () => {
    await createRegionalReverify(
      testEnv,
      here,
      noWait,
    )(URL_MANIFEST, await poisonedFinding(['weur'], false));
    expect(hereCalls).toEqual([URL_MANIFEST]);
  });

  it('leaves a finding without regions to the monitor’s own re-verification', async () => {
    const finding = await poisonedFinding([]);
    const result = await createRegionalReverify(testEnv, here, noWait)(URL_MANIFEST, finding);
    expect(result.detail).toBe('checked from the monitor');
  });
});

describe('the containment playbook of a regional incident', () => {
  it('purges the URL and re-verifies it from the regions that saw the problem', async () => {
    installIncidentDependencies({
      clock: new TestClock(),
      channels: [new RecordingChannel('slack')],
      vars: {
        CONTAINMENT_MODE: 'enforce',
        CLOUDFLARE_API_TOKEN: 'test-token',
        CLOUDFLARE_ZONE_ID: '0123456789abcdef0123456789abcdef',
        DIST_BASE_URL: BASE,
        PROBE_SIMULATE_REGIONS: 'true',
        REQUEST_RETRIES: '0',
      },
    });
    const purged: string[] = [];
    vi.spyOn(globalThis, 'fetch').mockImplementation(async (input, init) => {
      const request = new Request(input, init);
      if (!request.url.startsWith('https://api.cloudflare.com/')) return site.handle(request);
      purged.push(...((await request.json()) as { files: string[] }).files);
      return Response.json({ success: true, errors: [], result: {} });
    });
    const finding = await poisonedFinding(['weur', 'oc']);
    const stub = stubOf(finding);
    await stub.observe(finding, 'sweep-1');
    await runAlarms(stub);
    const detail = await stub.get();
    if (!detail.ok) throw new Error('no incident');
    const reverify = detail.value.playbook.find((step) => step.step === 'reverify');
    expect(purged).toEqual([URL_MANIFEST]);
    expect(reverify?.status).toBe('done');
    expect(JSON.stringify(reverify?.result)).toMatch(
      /weur: match, matches \(FRA\); oc: match, matches \(SYD\)/,
    );
  });
});
