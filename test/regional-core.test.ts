/**
 * The pure side of the regional probes: where a probe ran (cf-ray → colo → area), what it
 * is asked to check, how the regions' answers are compared, and how regional findings
 * merge with the sweep's own.
 */
import { describe, expect, it } from 'vitest';
import { parseMonitorConfig } from '../src/core/config';
import { createFinding, type Finding } from '../src/core/findings';
import { coloOfCfRay, matchesHint, placementOf } from '../src/core/region-colos';
import {
  checksForRegion,
  fullHashSelection,
  isFullHashDue,
  planRegionChecks,
  type ExpectedResponse,
  type PinnedRelease,
  type ProbeCheckResult,
  type ProbeObservation,
  type RegionProbeResult,
} from '../src/core/region-probe-plan';
import {
  classifyRegionalAvailability,
  compareRegionalResponses,
  mergeRegionalFinding,
  summariseRegion,
} from '../src/core/regional';

const NOW = new Date('2026-11-20T10:00:00Z');
const BASE = 'https://dist.test/dist';
const URL_A = `${BASE}/v25.2.0/node-v25.2.0.tar.gz`;
const SIGNED = 'a'.repeat(64);
const OTHER = 'b'.repeat(64);
const THIRD = 'c'.repeat(64);

const COLOS: Record<string, string> = { wnam: 'SJC', weur: 'FRA', apac: 'BOM', oc: 'SYD' };

function probe(
  region: string,
  checks: readonly ProbeCheckResult[],
  extra: Partial<RegionProbeResult> = {},
): RegionProbeResult {
  return {
    ...placementOf(COLOS[region] ?? 'unknown', region),
    region,
    status: 'completed',
    sweepId: 'sweep-1',
    probedAt: NOW.toISOString(),
    durationMs: 10,
    requests: checks.length,
    bytes: 0,
    answered: checks.length,
    failed: 0,
    failures: [],
    fullHash: false,
    checks,
    headerFindings: [],
    skippedChecks: 0,
    ...extra,
  };
}

function get(
  cached: ProbeObservation,
  options: { expected?: ExpectedResponse; origin?: ProbeObservation; url?: string } = {},
): ProbeCheckResult {
  return {
    url: options.url ?? URL_A,
    method: 'GET',
    purpose: 'cache-sample',
    release: 'v25.2.0',
    expected: options.expected ?? { sha256: SIGNED },
    cached,
    ...(options.origin && { origin: options.origin }),
  };
}

const served = (sha256: string, length = 100): ProbeObservation => ({
  status: 200,
  sha256,
  length,
  etag: `"${sha256.slice(0, 8)}"`,
});

describe('where a probe ran', () => {
  it.each([
    ['8abc123def456789-FRA', 'FRA'],
    ['8abc123def456789-fra', 'FRA'],
    ['no-suffix-here', 'unknown'],
    [undefined, 'unknown'],
  ])('cf-ray %s is colo %s', (cfRay, colo) => {
    expect(coloOfCfRay(cfRay)).toBe(colo);
  });

  it.each<[string, string, boolean | 'unknown']>([
    ['FRA', 'weur', true],
    ['FRA', 'wnam', false],
    ['NRT', 'apac', true],
    ['NRT', 'apac-ne', true],
    ['BOM', 'apac-ne', false],
    ['XYZ', 'wnam', 'unknown'],
    ['unknown', 'weur', 'unknown'],
  ])('colo %s under hint %s matches: %s', (colo, hint, expected) => {
    expect(matchesHint(colo, hint)).toBe(expected);
  });
});

describe('the probe plan', () => {
  const pin: PinnedRelease = {
    version: 'v25.2.0',
    manifestSha256: SIGNED,
    entries: { 'a.tar.gz': OTHER, 'b.zip': THIRD, 'c.msi': SIGNED },
    artifacts: {
      'a.tar.gz': { size: 300 },
      'b.zip': { size: 100, etag: '"b"' },
      'c.msi': { size: 200 },
    },
  };
  const planned = planRegionChecks({
    baseUrl: BASE,
    releases: [{ version: 'v25.2.0', pin }],
    bypassUrl: (url) => `${url}?bypass`,
    requestTimeoutMs: 1000,
    rotationRound: 0,
  });

  it('fetches index.json, the newest manifest and the two smallest artifacts twice, and HEADs the rest', () => {
    expect(
      planned.everySweep.map((check) => [
        check.url.slice(BASE.length),
        check.method,
        check.bypassUrl !== undefined,
      ]),
    ).toEqual([
      ['/index.json', 'GET', true],
      ['/v25.2.0/SHASUMS256.txt', 'GET', true],
      ['/v25.2.0/b.zip', 'GET', true],
      ['/v25.2.0/c.msi', 'GET', true],
      ['/v25.2.0/a.tar.gz', 'HEAD', false],
    ]);
    expect(planned.everySweep[2]?.expected).toEqual({ sha256: THIRD, size: 100, etag: '"b"' });
  });

  it('a full-hash round replaces the HEADs by hashing GETs and fetches nothing twice', () => {
    const checks = checksForRegion(planned, true);
    expect(checks.filter((check) => check.method === 'HEAD')).toEqual([]);
    expect(new Set(checks.map((check) => check.url)).size).toBe(checks.length);
    expect(checks.find((check) => check.url.endsWith('a.tar.gz'))?.purpose).toBe('full-hash');
  });

  it.each([
    [0, 1000, ['a.tar.gz', 'b.zip', 'c.msi']],
    [1, 1000, ['b.zip', 'c.msi', 'a.tar.gz']],
    [0, 350, ['a.tar.gz']],
    [2, 10, ['c.msi']],
  ])('round %i with a cap of %i bytes hashes %j', (round, cap, expected) => {
    expect(fullHashSelection(pin, round, cap)).toEqual(expected);
  });

  it.each<[string | undefined, boolean]>([
    [undefined, true],
    ['2026-11-20T09:30:00Z', false],
    ['2026-11-20T09:00:00Z', true],
  ])('a full hash last done at %s is due now: %s', (last, due) => {
    expect(isFullHashDue(last, NOW)).toBe(due);
  });
});

describe('cross-region comparison', () => {
  const compare = (...results: RegionProbeResult[]) => compareRegionalResponses(results, NOW);
  const named = (findings: readonly Finding[]) => findings.map((finding) => finding.regions);

  it('finds nothing when every region is served the signed bytes', () => {
    const { findings } = compare(
      probe('wnam', [get(served(SIGNED))]),
      probe('weur', [get(served(SIGNED))]),
    );
    expect(findings).toEqual([]);
  });

  it('names the one region whose cache serves other bytes than the signed hash and its origin', () => {
    const { findings, poisoned } = compare(
      probe('wnam', [get(served(SIGNED), { origin: served(SIGNED) })]),
      probe('weur', [get(served(OTHER), { origin: served(SIGNED) })]),
      probe('apac', [get(served(SIGNED), { origin: served(SIGNED) })]),
    );
    expect(named(findings)).toEqual([['weur']]);
    expect(findings[0]).toMatchObject({
      kind: 'cache-poisoned',
      severity: 'P1',
      expected: SIGNED,
      observed: OTHER,
    });
    expect(poisoned.get('weur')).toEqual([URL_A]);
    expect(poisoned.get('wnam')).toEqual([]);
  });

  it('names every region that differs, and evidence groups regions by what they were served', () => {
    const { findings } = compare(
      probe('wnam', [get(served(SIGNED))]),
      probe('weur', [get(served(OTHER))]),
      probe('apac', [get(served(THIRD))]),
    );
    expect(named(findings)).toEqual([['weur', 'apac']]);
    const variants = findings[0]?.evidence['variants'] as { regions: string[] }[];
    expect(variants.map((variant) => variant.regions)).toEqual([['wnam'], ['weur'], ['apac']]);
  });

  it('without a signed hash or origin, names the regions that differ from what most regions saw', () => {
    const unsigned = { expected: {} };
    const { findings } = compare(
      probe('wnam', [get(served(OTHER), unsigned)]),
      probe('weur', [get(served(OTHER), unsigned)]),
      probe('apac', [get(served(THIRD), unsigned)]),
    );
    expect(named(findings)).toEqual([['apac']]);
  });

  it('names a region served another ETag or length even with the same bytes', () => {
    const { findings } = compare(
      probe('wnam', [get(served(SIGNED), { expected: { sha256: SIGNED, size: 100 } })]),
      probe('weur', [
        get({ ...served(SIGNED), length: 99 }, { expected: { sha256: SIGNED, size: 100 } }),
      ]),
    );
    expect(findings[0]?.summary).toContain('length');
    expect(named(findings)).toEqual([['weur']]);
  });

  it('leaves a change every region sees alike, with no origin to compare, to the sweep’s own checks', () => {
    const head = (etag: string): ProbeCheckResult => ({
      url: URL_A,
      method: 'HEAD',
      purpose: 'metadata',
      expected: { size: 100, etag: '"pinned"' },
      cached: { status: 200, length: 100, etag },
    });
    expect(
      compare(probe('wnam', [head('"new"')]), probe('weur', [head('"new"')])).findings,
    ).toEqual([]);
    expect(
      named(compare(probe('wnam', [head('"pinned"')]), probe('weur', [head('"new"')])).findings),
    ).toEqual([['weur']]);
  });

  it('takes an ETag a hash proved for these bytes, or the origin fallback’s nginx form, as no difference: bytes decide', () => {
    const head = (etag: string): ProbeCheckResult => ({
      url: URL_A,
      method: 'HEAD',
      purpose: 'metadata',
      expected: { size: 100, etag: '"pinned"', routineEtags: ['"proven-before"'] },
      cached: { status: 200, length: 100, etag },
    });
    const nginx = `"6afd9344-${(100).toString(16)}"`;
    for (const routine of ['"proven-before"', nginx]) {
      expect(
        compare(probe('wnam', [head('"pinned"')]), probe('weur', [head(routine)])).findings,
      ).toEqual([]);
    }
    // Another size in the nginx form, or any other ETag, is still named.
    for (const other of ['"6afd9344-65"', '"new"']) {
      expect(
        named(compare(probe('wnam', [head('"pinned"')]), probe('weur', [head(other)])).findings),
      ).toEqual([['weur']]);
    }
  });

  it('plans the ETags the pin’s audit records proved for an artifact', () => {
    const planned = planRegionChecks({
      baseUrl: BASE,
      releases: [
        {
          version: 'v25.2.0',
          pin: {
            version: 'v25.2.0',
            manifestSha256: SIGNED,
            entries: { 'a.tar.gz': OTHER },
            artifacts: {
              'a.tar.gz': {
                size: 300,
                etag: '"r2"',
                rebaselines: [
                  { from: { etag: '"r2"' }, to: { etag: '"fallback"' } },
                  { from: { etag: '"fallback"' }, to: { etag: '"r2"' } },
                ],
              },
            },
          },
        },
      ],
      bypassUrl: (url) => `${url}?bypass`,
      requestTimeoutMs: 1000,
      rotationRound: 0,
    });
    const check = planned.everySweep.find((planned) => planned.url.endsWith('a.tar.gz'));
    expect(check?.expected).toEqual({
      sha256: OTHER,
      size: 300,
      etag: '"r2"',
      routineEtags: ['"fallback"'],
    });
  });

  it('does not blame the cache of a region whose origin serves the same wrong bytes', () => {
    const { findings } = compare(
      probe('wnam', [get(served(SIGNED), { origin: served(SIGNED) })]),
      probe('weur', [get(served(OTHER), { origin: served(OTHER) })]),
    );
    expect(findings).toEqual([]);
  });

  it('names a region whose cache answers 404 where the file is served elsewhere', () => {
    const { findings } = compare(
      probe('wnam', [get(served(SIGNED))]),
      probe('weur', [get({ status: 404, error: 'status: HTTP 404' })]),
    );
    expect(named(findings)).toEqual([['weur']]);
    expect(findings[0]?.summary).toContain('status');
  });

  it('leaves failed requests to availability and ignores probes that could not run', () => {
    const { findings } = compare(
      probe('wnam', [get(served(SIGNED))]),
      probe('weur', [get({ status: 503, error: 'status: HTTP 503', unavailable: true })]),
      probe('apac', [], { status: 'probe-failed', error: 'RPC failed' }),
    );
    expect(findings).toEqual([]);
  });
});

describe('regional availability', () => {
  const down = (region: string) => probe(region, [], { answered: 0, failed: 5 });
  const partial = (region: string) => probe(region, [], { answered: 10, failed: 2 });
  const ok = (region: string) => probe(region, [get(served(SIGNED))]);
  const classify = (results: RegionProbeResult[], failures: Record<string, number>) =>
    classifyRegionalAvailability(
      { baseUrl: BASE, results, consecutiveFailures: failures, outageThreshold: 2 },
      NOW,
    );

  it('is quiet until a region has failed for the threshold of sweeps', () => {
    expect(classify([down('weur'), ok('wnam')], { weur: 1, wnam: 0 })).toEqual([]);
  });

  it('some regions failing is a P1 partial outage naming them', () => {
    const [finding] = classify([down('weur'), partial('apac'), ok('wnam')], {
      weur: 2,
      apac: 3,
      wnam: 0,
    });
    expect(finding).toMatchObject({
      kind: 'origin-unavailable',
      severity: 'P1',
      subject: BASE,
      fingerprint: `origin-unavailable ${BASE}`,
      regions: ['weur', 'apac'],
    });
  });

  it('every probed region down is the complete outage, P0', () => {
    const [finding] = classify([down('weur'), down('wnam')], { weur: 2, wnam: 2 });
    expect(finding?.severity).toBe('P0');
    expect(finding?.regions).toEqual(['weur', 'wnam']);
  });

  it('every region failing but some only in part is P1', () => {
    expect(classify([down('weur'), partial('wnam')], { weur: 2, wnam: 2 })[0]?.severity).toBe('P1');
  });

  it('a probe that could not run is not a region down', () => {
    const failedProbe = probe('oc', [], { status: 'probe-failed', answered: 0, failed: 0 });
    expect(classify([failedProbe, ok('wnam')], { oc: 5, wnam: 0 })).toEqual([]);
  });
});

describe('merging with the sweep’s own findings', () => {
  const finding = (severity: 'P0' | 'P1', regions?: string[]) =>
    createFinding(
      {
        kind: 'origin-unavailable',
        subject: BASE,
        severity,
        summary: severity,
        ...(regions && { regions }),
        evidence: { from: regions ? 'regions' : 'sweep' },
      },
      NOW,
    );

  it('keeps the more severe one, unites the regions and keeps both evidences', () => {
    const merged = mergeRegionalFinding(finding('P0'), finding('P1', ['weur']));
    expect(merged).toMatchObject({ severity: 'P0', regions: ['weur'], summary: 'P0' });
    expect(merged.evidence).toEqual({ from: 'sweep', regional: { from: 'regions' } });
    expect(merged.fingerprint).toBe(`origin-unavailable ${BASE}`);
  });

  it('lets a more severe regional finding lead', () => {
    const merged = mergeRegionalFinding(finding('P1'), finding('P0', ['weur', 'wnam']));
    expect(merged).toMatchObject({ severity: 'P0', regions: ['weur', 'wnam'] });
    expect(merged.evidence['sweep']).toEqual({ from: 'sweep' });
  });

  it('adds a regional finding the sweep did not have as it is', () => {
    const regional = finding('P1', ['oc']);
    expect(mergeRegionalFinding(undefined, regional)).toBe(regional);
  });
});

describe('what the status page shows per region', () => {
  it.each<[Partial<RegionProbeResult>, string[], string]>([
    [{}, [], 'ok'],
    [{}, [URL_A], 'cache-poisoned'],
    [{ answered: 5, failed: 1 }, [], 'partial'],
    [{ answered: 0, failed: 5 }, [URL_A], 'down'],
    [{ status: 'probe-failed', error: 'RPC failed' }, [], 'probe-failed'],
  ])('%j with poisoned %j is %s', (extra, poisonedUrls, result) => {
    expect(summariseRegion(probe('weur', [], extra), poisonedUrls).result).toBe(result);
  });

  it('says so when the probe ran outside its hint', () => {
    const summary = summariseRegion({ ...probe('wnam', []), ...placementOf('FRA', 'wnam') }, []);
    expect(summary).toMatchObject({ colo: 'FRA', hint: 'wnam', matchesHint: false });
    expect(summary.detail).toContain('ran in FRA, outside wnam');
  });
});

describe('PROBE_REGIONS', () => {
  const regionsOf = (value?: string) => {
    const parsed = parseMonitorConfig(value === undefined ? {} : { PROBE_REGIONS: value });
    return parsed.ok ? parsed.value.PROBE_REGIONS : parsed.error.problems;
  };

  it.each<[string | undefined, unknown]>([
    [undefined, ['wnam', 'enam', 'sam', 'weur', 'eeur', 'apac', 'oc', 'afr', 'me']],
    ['', []],
    [' weur, WEUR ,apac-ne', ['weur', 'apac-ne']],
  ])('%j gives %j', (value, expected) => {
    expect(regionsOf(value)).toEqual(expected);
  });

  it('refuses an unknown location hint, naming it', () => {
    expect(regionsOf('weur,mars')).toEqual([
      expect.stringContaining('unknown location hint(s) mars'),
    ]);
  });
});
