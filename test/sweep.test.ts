/**
 * The sweep against a fixture dist site served through the test's fetch: a clean site is
 * clean across sweeps, and each tampering produces its own finding with the right
 * severity and a stable fingerprint.
 */
import { env } from 'cloudflare:test';
import { beforeEach, describe, expect, it } from 'vitest';
import { createDistSite, type DistSite } from '../tools/dist-site/site';
import { runSweep, type SweepRun } from '../src/jobs/sweep';
import { monitorStateStub } from '../src/durable/monitor-state';
import { releasePinKey, type ReleasePin } from '../src/adapters/pin-store';
import type { MonitorEnv } from '../src/env';
import type { Finding } from '../src/core/findings';

const BASE = 'https://dist.test/dist';
const noWait = async () => {};

let site: DistSite;
let testEnv: MonitorEnv;

beforeEach(async () => {
  site = await createDistSite({ artifactsPerRelease: 4 });
  testEnv = {
    ...env,
    DIST_BASE_URL: BASE,
    ORIGIN_BASE_URL: '',
    RELEASE_KEYS: site.publicKeyArmored,
    REQUEST_RETRIES: '1',
    OUTAGE_THRESHOLD: '2',
  } as MonitorEnv;
});

async function sweep(options: { now?: Date } = {}): Promise<Finding[]> {
  const run: SweepRun = await runSweep(testEnv, {
    trigger: 'test',
    fetch: site.fetcher,
    sleep: noWait,
    ...(options.now && { now: () => options.now as Date }),
  });
  if (run.status !== 'completed') throw new Error(`sweep did not run: ${run.status}`);
  return [...run.findings];
}

function kinds(findings: readonly Finding[]): string[] {
  return findings.map((finding) => finding.kind).sort();
}

const newestVersion = () => 'v25.2.0';
const artifact = (version: string) => site.files(version)[0] as string;

describe('a clean site', () => {
  it('gives zero findings across repeated sweeps', async () => {
    for (let i = 0; i < 3; i += 1) {
      expect(await sweep()).toEqual([]);
    }
    const summary = await monitorStateStub(testEnv).latestSweep();
    expect(summary?.outcome).toBe('clean');
    expect(summary?.releases.length).toBeGreaterThan(2);
    expect(summary?.artifactsChecked).toBeGreaterThan(0);
    expect(summary?.findingsBySeverity).toEqual({ P0: 0, P1: 0, P2: 0, P3: 0 });
  });

  it('pins every watched release at its first verified sighting, and the pin survives', async () => {
    await sweep();
    const pin = await env.PINS.get<ReleasePin>(releasePinKey(newestVersion()), 'json');
    expect(pin?.entries[artifact(newestVersion())]).toBe(
      await site.expectedSha256(newestVersion(), artifact(newestVersion())),
    );
    expect(Object.keys(pin?.artifacts ?? {}).sort()).toEqual(
      [...site.files(newestVersion())].sort(),
    );
    await sweep();
    const again = await env.PINS.get<ReleasePin>(releasePinKey(newestVersion()), 'json');
    expect(again?.pinnedAt).toBe(pin?.pinnedAt);
  });

  it('the latest sweep is the one stored last when two finish in the same millisecond', async () => {
    await sweep();
    const state = monitorStateStub(testEnv);
    const first = await state.latestSweep();
    if (!first) throw new Error('no summary stored');
    // Ids sort against storage order, so neither id order nor scan order can pass by luck.
    for (const id of ['z-stored-first', 'a-stored-second']) {
      await state.finishSweep({ ...first, id });
    }
    expect((await state.latestSweep())?.id).toBe('a-stored-second');
    expect((await state.recentSweeps(2)).map((summary) => summary.id)).toEqual([
      'a-stored-second',
      'z-stored-first',
    ]);
  });

  it('refuses to run two sweeps at once', async () => {
    const state = monitorStateStub(testEnv);
    const taken = await state.beginSweep('held-by-test', new Date().toISOString());
    expect(taken.ok).toBe(true);
    const run = await runSweep(testEnv, { trigger: 'test', fetch: site.fetcher, sleep: noWait });
    expect(run.status).toBe('busy');
  });
});

describe('tampering', () => {
  it('a manifest changed and validly re-signed is manifest-changed (P0), with both versions as evidence', async () => {
    await sweep();
    await site.resignManifest(newestVersion());
    const findings = await sweep();
    const changed = findings.find((finding) => finding.kind === 'manifest-changed');
    expect(changed?.severity).toBe('P0');
    expect(changed?.subject).toBe(`${BASE}/${newestVersion()}/SHASUMS256.txt`);
    expect(changed?.fingerprint).toBe(`manifest-changed ${BASE}/${newestVersion()}/SHASUMS256.txt`);
    expect(changed?.evidence['signedValidly']).toBe(true);
    expect(changed?.evidence['manifest']).toContain(artifact(newestVersion()));
    expect((changed?.evidence['changed'] as unknown[]).length).toBe(1);
    expect(kinds(findings)).not.toContain('manifest-signature-invalid');
  });

  it('a manifest altered under its old signature is manifest-signature-invalid (P0) and manifest-changed', async () => {
    await sweep();
    await site.alterManifest(newestVersion());
    const findings = await sweep();
    const invalid = findings.find((finding) => finding.kind === 'manifest-signature-invalid');
    expect(invalid?.severity).toBe('P0');
    expect(kinds(findings)).toContain('manifest-changed');
  });

  it('a manifest signed by an untrusted key is manifest-signature-invalid even on first sight, and is not pinned', async () => {
    await site.signWithOtherKey(newestVersion());
    const findings = await sweep();
    const invalid = findings.find((finding) => finding.kind === 'manifest-signature-invalid');
    expect(invalid?.observed).toBe('unknown-key');
    expect(await env.PINS.get(releasePinKey(newestVersion()))).toBeNull();
  });

  it('an artifact whose size changed is artifact-metadata-changed (P1)', async () => {
    await sweep();
    const path = `/dist/${newestVersion()}/${artifact(newestVersion())}`;
    const original = site.fetcher;
    const resized: typeof fetch = async (input, init) => {
      const request = new Request(input, init);
      const response = await original(request);
      if (request.method !== 'HEAD' || new URL(request.url).pathname !== path) return response;
      const headers = new Headers(response.headers);
      headers.set('content-length', String(Number(headers.get('content-length')) + 1));
      return new Response(response.body, { status: response.status, headers });
    };
    const run = await runSweep(testEnv, { trigger: 'test', fetch: resized, sleep: noWait });
    if (run.status !== 'completed') throw new Error('no sweep');
    const changed = run.findings.find((finding) => finding.kind === 'artifact-metadata-changed');
    expect(changed?.severity).toBe('P1');
    expect(changed?.subject).toBe(`${BASE}${path.slice('/dist'.length)}`);
    expect(changed?.evidence['changed']).toEqual(['size']);
  });

  it('an artifact with a new ETag and Last-Modified is no finding of the sweep: its bytes decide', async () => {
    await sweep();
    site.changeMetadata(`/dist/${newestVersion()}/${artifact(newestVersion())}`);
    expect(await sweep()).toEqual([]);
  });

  it('an artifact listed in the manifest but not served is artifact-missing (P2)', async () => {
    await sweep();
    site.dropFile(`/dist/${newestVersion()}/${artifact(newestVersion())}`);
    const findings = await sweep();
    expect(findings.find((finding) => finding.kind === 'artifact-missing')?.severity).toBe('P2');
  });

  it('a listed release without SHASUMS256.txt is manifest-missing (P2)', async () => {
    site.dropFile(`/dist/${newestVersion()}/SHASUMS256.txt`);
    const findings = await sweep();
    expect(findings.find((finding) => finding.kind === 'manifest-missing')?.severity).toBe('P2');
  });

  it('index.json going back in version is index-rollback (P1)', async () => {
    await sweep();
    site.rollbackIndex();
    const findings = await sweep();
    const rollback = findings.find((finding) => finding.kind === 'index-rollback');
    expect(rollback?.severity).toBe('P1');
    expect(rollback?.fingerprint).toBe(`index-rollback ${BASE}/index.json`);
  });

  it('index.json that does not parse is index-invalid (P1), and the watched releases are still checked', async () => {
    await sweep();
    site.setHeader('/dist/index.json', 'x-test', '1');
    const original = site.fetcher;
    const broken: typeof fetch = async (input, init) => {
      const request = new Request(input, init);
      if (new URL(request.url).pathname === '/dist/index.json') {
        return new Response('[{"version": "v1.', {
          headers: { 'cache-control': 'public, max-age=3600, s-maxage=14400' },
        });
      }
      return original(request);
    };
    const run = await runSweep(testEnv, { trigger: 'test', fetch: broken, sleep: noWait });
    if (run.status !== 'completed') throw new Error('no sweep');
    expect(run.findings.find((finding) => finding.kind === 'index-invalid')?.severity).toBe('P1');
    expect(run.summary.releases.length).toBeGreaterThan(0);
  });

  it('a wrong Cache-Control is cache-policy-violation (P2)', async () => {
    site.setHeader('/dist/index.json', 'cache-control', 'public, max-age=31536000');
    const findings = await sweep();
    const violation = findings.find((finding) => finding.kind === 'cache-policy-violation');
    expect(violation?.severity).toBe('P2');
    expect(violation?.subject).toBe(`${BASE}/index.json`);
  });

  it('a 404 the edge may cache (the success policy) is cache-policy-violation on the error canary', async () => {
    const canary = `${BASE}/integrity-monitor-canary-404.txt`;
    await site.apply({ attack: 'cacheable-404' });
    const run = await runSweep(testEnv, { trigger: 'test', fetch: site.fetcher, sleep: noWait });
    if (run.status !== 'completed') throw new Error('no sweep');
    const violation = run.findings.find((finding) => finding.subject === canary);
    expect(violation).toMatchObject({ kind: 'cache-policy-violation', severity: 'P2' });
    expect(violation?.evidence).toMatchObject({ status: 404, cacheableError: true });
  });

  it('a clean site answers the error canary with an uncacheable 404, once per sweep', async () => {
    site.clearRequestLog();
    expect(await sweep()).toEqual([]);
    const canary = site.requestLog.filter((entry) =>
      entry.url.endsWith('/integrity-monitor-canary-404.txt'),
    );
    expect(canary).toHaveLength(1);
  });

  it('a Set-Cookie or a leaky header is header-disclosure (P2), without the cookie value', async () => {
    site.setHeader('*', 'set-cookie', 'session=s3cr3t-value; Path=/');
    const findings = await sweep();
    const disclosure = findings.filter((finding) => finding.kind === 'header-disclosure');
    expect(disclosure.length).toBeGreaterThan(0);
    expect(disclosure[0]?.severity).toBe('P2');
    expect(JSON.stringify(disclosure)).not.toContain('s3cr3t-value');
  });

  it('a redirect to a foreign host is foreign-redirect (P1)', async () => {
    await sweep();
    const path = `/dist/${newestVersion()}/${artifact(newestVersion())}`;
    site.redirect(path, 'https://evil.example/node.tar.xz');
    const findings = await sweep();
    const redirect = findings.find((finding) => finding.kind === 'foreign-redirect');
    expect(redirect?.severity).toBe('P1');
    expect(redirect?.observed).toContain('evil.example');
  });

  it('a cached copy that differs from the origin is cache-poisoned (P1)', async () => {
    await sweep();
    site.poisonCache('/dist/index.json');
    const findings = await sweep();
    const poisoned = findings.find((finding) => finding.kind === 'cache-poisoned');
    expect(poisoned?.severity).toBe('P1');
    expect(poisoned?.expected).not.toBe(poisoned?.observed);
  });

  it('a poisoned cached manifest is what users receive: manifest-changed (P0), plus cache-poisoned when the origin is intact', async () => {
    await sweep();
    site.poisonCache(`/dist/${newestVersion()}/SHASUMS256.txt`);
    const findings = await sweep();
    const poisoned = findings.find(
      (finding) =>
        finding.kind === 'cache-poisoned' &&
        finding.subject === `${BASE}/${newestVersion()}/SHASUMS256.txt`,
    );
    expect(poisoned?.severity).toBe('P1');
    const changed = findings.find((finding) => finding.kind === 'manifest-changed');
    expect(changed?.severity).toBe('P0');
    expect(changed?.subject).toBe(`${BASE}/${newestVersion()}/SHASUMS256.txt`);
  });

  it('a rolled-back index.json only in the cache is cache-poisoned, not index-rollback', async () => {
    await sweep();
    site.poisonCache('/dist/index.json');
    const findings = await sweep();
    expect(findings.map((finding) => `${finding.kind} ${finding.subject}`)).toContain(
      `cache-poisoned ${BASE}/index.json`,
    );
    expect(kinds(findings)).not.toContain('index-rollback');
  });

  it('a poisoned cached signature is manifest-signature-invalid (P0), plus cache-poisoned on the signature file', async () => {
    await sweep();
    site.poisonCache(`/dist/${newestVersion()}/SHASUMS256.txt.sig`);
    const findings = await sweep();
    expect(findings.map((finding) => `${finding.kind} ${finding.subject}`)).toContain(
      `cache-poisoned ${BASE}/${newestVersion()}/SHASUMS256.txt.sig`,
    );
    const invalid = findings.find((finding) => finding.kind === 'manifest-signature-invalid');
    expect(invalid?.severity).toBe('P0');
  });

  it('a site that stops answering is origin-unavailable (P0) only after the threshold of failed sweeps', async () => {
    await sweep();
    site.down();
    const first = await sweep();
    expect(kinds(first)).not.toContain('origin-unavailable');
    const second = await sweep();
    const outage = second.find((finding) => finding.kind === 'origin-unavailable');
    expect(outage?.severity).toBe('P0');
    expect(outage?.fingerprint).toBe(`origin-unavailable ${BASE}`);
  });

  it('a site that answers slowly is latency-degraded (P2) after the threshold', async () => {
    testEnv = { ...testEnv, LATENCY_THRESHOLD_MS: '20' } as MonitorEnv;
    site.slow(40);
    await sweep();
    const findings = await sweep();
    expect(findings.find((finding) => finding.kind === 'latency-degraded')?.severity).toBe('P2');
  });

  it('the same problem in several sweeps keeps one fingerprint', async () => {
    await sweep();
    site.dropFile(`/dist/${newestVersion()}/${artifact(newestVersion())}`);
    const a = (await sweep()).filter((finding) => finding.kind === 'artifact-missing');
    const b = (await sweep()).filter((finding) => finding.kind === 'artifact-missing');
    expect(a.map((finding) => finding.fingerprint)).toEqual(
      b.map((finding) => finding.fingerprint),
    );
  });
});

describe('limits', () => {
  it('a slow origin cannot stretch a sweep past its deadline: the rest is skipped, the summary stored', async () => {
    site.slow(30);
    const run = await runSweep(testEnv, {
      trigger: 'test',
      fetch: site.fetcher,
      sleep: noWait,
      deadlineMs: 300,
    });
    if (run.status !== 'completed') throw new Error('no sweep');
    expect(run.summary.skipped.some((entry) => entry.reason === 'sweep-deadline')).toBe(true);
    expect(run.summary.durationMs).toBeLessThan(5_000);
    expect((await monitorStateStub(testEnv).latestSweep())?.id).toBe(run.summary.id);
  });

  it('a sweep over budget says what it skipped instead of dying half-way', async () => {
    testEnv = { ...testEnv, SUBREQUEST_BUDGET: '120' } as MonitorEnv;
    const run = await runSweep(testEnv, { trigger: 'test', fetch: site.fetcher, sleep: noWait });
    if (run.status !== 'completed') throw new Error('no sweep');
    expect(run.summary.skipped.some((entry) => entry.reason === 'subrequest-budget')).toBe(true);
    expect(run.summary.requests).toBeLessThanOrEqual(120);
  });
});
