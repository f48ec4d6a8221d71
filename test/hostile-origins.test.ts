/**
 * Hostile origins: a full sweep against a dist site that lies, stalls, floods or loops on
 * chosen URLs. For each, the monitor must (1) answer with a bounded, typed outcome — a
 * named finding, a recorded skip, or nothing when the lie does not matter; (2) finish the
 * rest of its work: other releases checked, their findings unaffected, the summary
 * stored; (3) stay within time and byte bounds, proven by the bytes each hostile body
 * actually handed over; (4) lose nothing already pinned: every `pin:release:<v>` after the
 * hostile sweep equals the one the clean sweep before it wrote.
 */
import { env } from 'cloudflare:test';
import * as openpgp from 'openpgp';
import { beforeEach, describe, expect, it } from 'vitest';
import { createDistSite, type DistSite } from '../tools/dist-site/site';
import { runSweep } from '../src/jobs/sweep';
import { CIRCUIT_BREAKER_FAILURES } from '../src/jobs/sweep-context';
import { monitorStateStub } from '../src/durable/monitor-state';
import { loadTrustedKeys } from '../src/adapters/release-key-store';
import type { SweepSummary } from '../src/core/sweep-summary';
import type { Finding, FindingKind } from '../src/core/findings';
import type { MonitorEnv } from '../src/env';
import {
  createHostileOrigin,
  endlessBody,
  fixedBody,
  hostileResponse,
  lazyBody,
  redirectChain,
  redirectLoop,
  slowlorisBody,
  stalledBody,
  utf8,
  type HostileOrigin,
} from './hostile/origin';

const BASE = 'https://dist.test/dist';
const NEWEST = 'v25.2.0';
/** A watched release that is not the newest, so the cache differential leaves it alone. */
const OLDER = 'v24.11.1';
const TEN_GB = String(10 * 1024 ** 3);
const MANIFEST_CAP = 1024 * 1024; // MAX_MANIFEST_BYTES default
const INDEX_CAP = 16 * 1024 * 1024; // MAX_INDEX_BYTES default
const CHUNK = 64 * 1024;
/** Short enough that stalls cost little, long enough for the fixture to answer. */
const SHORT_TIMEOUT_MS = '300';
const noWait = async () => {};

const manifestUrl = (version: string) => `${BASE}/${version}/SHASUMS256.txt`;
const sigUrl = (version: string) => `${BASE}/${version}/SHASUMS256.txt.sig`;
const ascUrl = (version: string) => `${BASE}/${version}/SHASUMS256.txt.asc`;
const INDEX_URL = `${BASE}/index.json`;

let site: DistSite;
let origin: HostileOrigin;
let testEnv: MonitorEnv;

beforeEach(async () => {
  site = await createDistSite({ artifactsPerRelease: 4 });
  await site.warm();
  origin = createHostileOrigin(site.fetcher);
  testEnv = {
    ...env,
    DIST_BASE_URL: BASE,
    ORIGIN_BASE_URL: '',
    RELEASE_KEYS: site.publicKeyArmored,
    REQUEST_RETRIES: '1',
    OUTAGE_THRESHOLD: '2',
    REQUEST_TIMEOUT_MS: '5000',
  } as MonitorEnv;
});

interface Swept {
  readonly summary: SweepSummary;
  readonly findings: readonly Finding[];
  readonly elapsedMs: number;
}

async function sweep(fetcher: typeof fetch, vars: Record<string, string> = {}): Promise<Swept> {
  const started = Date.now();
  const run = await runSweep({ ...testEnv, ...vars } as MonitorEnv, {
    trigger: 'test',
    fetch: fetcher,
    sleep: noWait,
  });
  if (run.status !== 'completed') throw new Error(`sweep did not run: ${run.status}`);
  return { summary: run.summary, findings: run.findings, elapsedMs: Date.now() - started };
}

/** Every release pin as stored, raw, so that any rewrite shows. */
async function pinSnapshot(): Promise<Record<string, string>> {
  const listed = await env.PINS.list({ prefix: 'pin:release:' });
  const pins: Record<string, string> = {};
  for (const { name } of listed.keys) pins[name] = (await env.PINS.get(name)) ?? '';
  return pins;
}

interface Baseline {
  readonly clean: Swept;
  readonly pins: Record<string, string>;
}

/** A clean sweep that pins every watched release: what the hostile sweep must not lose. */
async function cleanSweep(): Promise<Baseline> {
  const clean = await sweep(site.fetcher);
  expect(clean.findings).toEqual([]);
  const pins = await pinSnapshot();
  expect(Object.keys(pins)).toContain(`pin:release:${OLDER}`);
  expect(Object.keys(pins)).toContain(`pin:release:${NEWEST}`);
  return { clean, pins };
}

/**
 * What every hostile sweep must show: it completed and stored its summary, checked other
 * releases' artifacts, stayed within `maxMs`, and left every pin as the clean sweep wrote it.
 */
async function expectSurvived(
  baseline: Baseline,
  hostile: Swept,
  options: { maxMs: number; artifactsSkipped?: number },
): Promise<void> {
  expect(hostile.summary.outcome).not.toBe('failed');
  const stored = await monitorStateStub(testEnv).latestSweep();
  expect(stored?.id).toBe(hostile.summary.id);
  expect(hostile.summary.artifactsChecked).toBeGreaterThan(0);
  expect(hostile.summary.artifactsChecked).toBeGreaterThanOrEqual(
    baseline.clean.summary.artifactsChecked - (options.artifactsSkipped ?? 0),
  );
  expect(hostile.elapsedMs).toBeLessThan(options.maxMs);
  expect(await pinSnapshot()).toEqual(baseline.pins);
}

function kinds(swept: Swept): FindingKind[] {
  return [...new Set(swept.findings.map((finding) => finding.kind))].sort();
}

function only(swept: Swept, kind: FindingKind): Finding {
  const found = swept.findings.filter((finding) => finding.kind === kind);
  expect(found).toHaveLength(1);
  return found[0] as Finding;
}

/** Bytes of valid manifest lines, for bodies that must look plausible as far as read. */
const MANIFEST_LINES = utf8(`${'ab'.repeat(32)}  node-v0.0.0-linux-x64.tar.xz\n`.repeat(800));

describe('bodies that never end', () => {
  it('a manifest that streams for ever is refused at the byte cap: manifest-signature-invalid (too-large)', async () => {
    const baseline = await cleanSweep();
    origin.on(
      manifestUrl(OLDER),
      () => hostileResponse(origin.track(endlessBody(MANIFEST_LINES))),
      'GET',
    );
    const hostile = await sweep(origin.fetch);
    await expectSurvived(baseline, hostile, { maxMs: 10_000, artifactsSkipped: 4 });
    expect(kinds(hostile)).toEqual(['manifest-signature-invalid']);
    const finding = only(hostile, 'manifest-signature-invalid');
    expect(finding.subject).toBe(manifestUrl(OLDER));
    expect(finding.observed).toBe('too-large');
    // Refused, not retried: one body, read to one chunk past the cap.
    expect(origin.probes()).toHaveLength(1);
    expect(origin.probes()[0]?.bytes).toBeLessThanOrEqual(MANIFEST_CAP + MANIFEST_LINES.length);
    expect(origin.probes()[0]?.cancelled).toBe(true);
  });

  it('a manifest that stalls for ever times out, is retried once and skipped, without a finding on the first sweep', async () => {
    const baseline = await cleanSweep();
    origin.on(
      manifestUrl(OLDER),
      () => hostileResponse(origin.track(stalledBody(MANIFEST_LINES.subarray(0, 100)))),
      'GET',
    );
    const hostile = await sweep(origin.fetch, { REQUEST_TIMEOUT_MS: SHORT_TIMEOUT_MS });
    await expectSurvived(baseline, hostile, { maxMs: 5_000, artifactsSkipped: 4 });
    expect(hostile.findings).toEqual([]);
    expect(hostile.summary.skipped).toContainEqual({
      what: `release ${OLDER}`,
      reason: 'manifest-unavailable',
      count: 1,
    });
    expect(hostile.summary.availability).toBe('partial');
    expect(origin.probes()).toHaveLength(2);
    expect(origin.probes().every((probe) => probe.cancelled && probe.bytes === 100)).toBe(true);
  });

  it('an index.json that stalls for ever is origin-unavailable only after the threshold, and the watched releases are still checked', async () => {
    const baseline = await cleanSweep();
    origin.on(INDEX_URL, () => hostileResponse(origin.track(stalledBody(utf8('[\n')))), 'GET');
    const first = await sweep(origin.fetch, { REQUEST_TIMEOUT_MS: SHORT_TIMEOUT_MS });
    await expectSurvived(baseline, first, { maxMs: 5_000 });
    expect(first.findings).toEqual([]);
    expect(first.summary.releases).toEqual(baseline.clean.summary.releases);

    const second = await sweep(origin.fetch, { REQUEST_TIMEOUT_MS: SHORT_TIMEOUT_MS });
    await expectSurvived(baseline, second, { maxMs: 5_000 });
    expect(kinds(second)).toEqual(['origin-unavailable']);
    // Part of the site answered: a partial outage is P1, not the P0 of a site that is down.
    expect(only(second, 'origin-unavailable').severity).toBe('P1');
    expect(origin.probes().every((probe) => probe.cancelled)).toBe(true);
  });

  it('the newest manifest streaming for ever is capped in the cache differential too', async () => {
    const baseline = await cleanSweep();
    origin.on(
      manifestUrl(NEWEST),
      () => hostileResponse(origin.track(endlessBody(MANIFEST_LINES))),
      'GET',
    );
    const hostile = await sweep(origin.fetch);
    await expectSurvived(baseline, hostile, { maxMs: 10_000, artifactsSkipped: 4 });
    expect(kinds(hostile)).toEqual(['manifest-signature-invalid']);
    // The sweep's read and the cache differential's two: each stops one chunk past the cap.
    expect(origin.probes().length).toBeLessThanOrEqual(3);
    for (const probe of origin.probes()) {
      expect(probe.bytes).toBeLessThanOrEqual(MANIFEST_CAP + MANIFEST_LINES.length);
      expect(probe.cancelled).toBe(true);
    }
  });
});

describe('bodies that end early', () => {
  it('a manifest shorter than its Content-Length is truncated: retried, then skipped, no finding on the first sweep', async () => {
    const baseline = await cleanSweep();
    origin.on(
      manifestUrl(OLDER),
      async (request, upstream) => {
        const honest = new Uint8Array(await (await upstream(request)).arrayBuffer());
        return hostileResponse(origin.track(fixedBody(honest.subarray(0, honest.length - 40))), {
          headers: { 'content-length': String(honest.length) },
        });
      },
      'GET',
    );
    const hostile = await sweep(origin.fetch);
    await expectSurvived(baseline, hostile, { maxMs: 5_000, artifactsSkipped: 4 });
    expect(hostile.findings).toEqual([]);
    expect(hostile.summary.skipped).toContainEqual({
      what: `release ${OLDER}`,
      reason: 'manifest-unavailable',
      count: 1,
    });
    expect(origin.probes()).toHaveLength(2);
  });
});

describe('a 10 GB Content-Length', () => {
  it('on an artifact HEAD is artifact-metadata-changed (size), and the pin keeps the true size', async () => {
    const baseline = await cleanSweep();
    const file = site.files(OLDER)[0] as string;
    const url = `${BASE}/${OLDER}/${file}`;
    origin.on(
      url,
      async (request, upstream) => {
        const honest = await upstream(request);
        const headers = Object.fromEntries(honest.headers);
        return hostileResponse(null, { headers: { ...headers, 'content-length': TEN_GB } });
      },
      'HEAD',
    );
    const hostile = await sweep(origin.fetch);
    await expectSurvived(baseline, hostile, { maxMs: 5_000 });
    expect(kinds(hostile)).toEqual(['artifact-metadata-changed']);
    const finding = only(hostile, 'artifact-metadata-changed');
    expect(finding.subject).toBe(url);
    expect(finding.evidence['changed']).toEqual(['size']);
    expect(finding.evidence['observed']).toMatchObject({ size: 10 * 1024 ** 3 });
  });

  it('on a manifest GET is refused before a byte is read: manifest-signature-invalid (too-large)', async () => {
    const baseline = await cleanSweep();
    origin.on(
      manifestUrl(NEWEST),
      () =>
        hostileResponse(origin.track(endlessBody(MANIFEST_LINES)), {
          headers: { 'content-length': TEN_GB },
        }),
      'GET',
    );
    const hostile = await sweep(origin.fetch);
    await expectSurvived(baseline, hostile, { maxMs: 5_000, artifactsSkipped: 4 });
    expect(kinds(hostile)).toEqual(['manifest-signature-invalid']);
    expect(only(hostile, 'manifest-signature-invalid').observed).toBe('too-large');
    expect(origin.probes().length).toBeGreaterThan(0);
    expect(origin.probes().every((probe) => probe.bytes === 0)).toBe(true);
  });
});

describe('a 50 MB manifest', () => {
  it('is refused by the byte cap without being read: manifest-signature-invalid (too-large)', async () => {
    const baseline = await cleanSweep();
    origin.on(
      manifestUrl(NEWEST),
      () => hostileResponse(origin.track(lazyBody(MANIFEST_LINES, 50 * 1024 * 1024))),
      'GET',
    );
    const hostile = await sweep(origin.fetch);
    await expectSurvived(baseline, hostile, { maxMs: 10_000, artifactsSkipped: 4 });
    expect(only(hostile, 'manifest-signature-invalid').observed).toBe('too-large');
    const pulled = origin.probes().reduce((sum, probe) => sum + probe.bytes, 0);
    expect(pulled).toBeLessThanOrEqual(3 * (MANIFEST_CAP + MANIFEST_LINES.length));
    expect(hostile.summary.bytes - baseline.clean.summary.bytes).toBeLessThan(
      3 * (MANIFEST_CAP + MANIFEST_LINES.length),
    );
  });
});

describe('a hostile index.json', () => {
  it('nested 10,000 deep is index-invalid (too-deep), and the releases watched last time are still checked', async () => {
    const baseline = await cleanSweep();
    const deep = utf8(`${'['.repeat(10_000)}${']'.repeat(10_000)}`);
    origin.on(INDEX_URL, () => hostileResponse(origin.track(lazyBody(deep, deep.length))), 'GET');
    const hostile = await sweep(origin.fetch);
    await expectSurvived(baseline, hostile, { maxMs: 5_000 });
    expect(kinds(hostile)).toEqual(['index-invalid']);
    expect(only(hostile, 'index-invalid').observed).toBe('too-deep');
    expect(hostile.summary.releases).toEqual(baseline.clean.summary.releases);
  });

  it('100 MB wide is index-invalid (too-large), read no further than the cap', async () => {
    const baseline = await cleanSweep();
    const row = utf8(`${JSON.stringify('x'.repeat(CHUNK - 4))},\n`);
    origin.on(
      INDEX_URL,
      () => hostileResponse(origin.track(lazyBody(row, 100 * 1024 * 1024))),
      'GET',
    );
    const hostile = await sweep(origin.fetch);
    await expectSurvived(baseline, hostile, { maxMs: 15_000 });
    expect(kinds(hostile)).toEqual(['index-invalid']);
    expect(only(hostile, 'index-invalid').observed).toBe('too-large');
    expect(hostile.summary.releases).toEqual(baseline.clean.summary.releases);
    for (const probe of origin.probes()) {
      expect(probe.bytes).toBeLessThanOrEqual(INDEX_CAP + row.length);
    }
  });

  it('that is not UTF-8 is index-invalid (invalid-utf8)', async () => {
    const baseline = await cleanSweep();
    origin.on(
      INDEX_URL,
      async (request, upstream) => {
        const bytes = new Uint8Array(await (await upstream(request)).arrayBuffer());
        bytes[bytes.indexOf(0x76 /* v */)] = 0xff;
        return hostileResponse(origin.track(fixedBody(bytes)));
      },
      'GET',
    );
    const hostile = await sweep(origin.fetch);
    await expectSurvived(baseline, hostile, { maxMs: 5_000 });
    expect(kinds(hostile)).toEqual(['index-invalid']);
    expect(only(hostile, 'index-invalid').observed).toBe('invalid-utf8');
  });
});

describe('a manifest that is not UTF-8', () => {
  it('is manifest-signature-invalid (invalid-utf8), and the pin is kept', async () => {
    const baseline = await cleanSweep();
    origin.on(
      manifestUrl(OLDER),
      async (request, upstream) => {
        const bytes = new Uint8Array(await (await upstream(request)).arrayBuffer());
        bytes[bytes.indexOf(0x20 /* space */)] = 0xc3; // a lead byte without its continuation
        return hostileResponse(origin.track(fixedBody(bytes)));
      },
      'GET',
    );
    const hostile = await sweep(origin.fetch);
    await expectSurvived(baseline, hostile, { maxMs: 5_000, artifactsSkipped: 4 });
    expect(kinds(hostile)).toEqual(['manifest-signature-invalid']);
    expect(only(hostile, 'manifest-signature-invalid').observed).toBe('invalid-utf8');
  });
});

const HTML_404 = utf8(
  '<!DOCTYPE html><html><head><title>404 Not Found</title></head><body><h1>Not Found</h1></body></html>\n',
);

describe('signatures', () => {
  it.each([
    ['SHASUMS256.txt.sig', sigUrl],
    ['SHASUMS256.txt.asc', ascUrl],
  ])(
    '%s that is an HTML 404 page served with status 200 is manifest-signature-invalid (malformed)',
    async (_name, urlOf) => {
      const baseline = await cleanSweep();
      origin.on(
        urlOf(OLDER),
        () =>
          hostileResponse(origin.track(fixedBody(HTML_404)), {
            headers: { 'content-type': 'text/html' },
          }),
        'GET',
      );
      const hostile = await sweep(origin.fetch);
      await expectSurvived(baseline, hostile, { maxMs: 5_000 });
      expect(kinds(hostile)).toEqual(['manifest-signature-invalid']);
      const finding = only(hostile, 'manifest-signature-invalid');
      expect(finding.release).toBe(OLDER);
      expect(finding.observed).toBe('malformed');
    },
  );

  it('both signature files stalling is an availability failure, not a missing signature: skipped, no finding on the first sweep', async () => {
    const baseline = await cleanSweep();
    for (const url of [sigUrl(OLDER), ascUrl(OLDER)]) {
      origin.on(url, () => hostileResponse(origin.track(stalledBody(new Uint8Array(0)))), 'GET');
    }
    const hostile = await sweep(origin.fetch, { REQUEST_TIMEOUT_MS: SHORT_TIMEOUT_MS });
    await expectSurvived(baseline, hostile, { maxMs: 5_000 });
    expect(hostile.findings).toEqual([]);
    expect(hostile.summary.skipped).toContainEqual({
      what: `signature ${OLDER}`,
      reason: 'manifest-unavailable',
      count: 1,
    });
  });

  it('a signature file that never ends is refused at 64 KiB and counts as not served; the other form decides', async () => {
    const baseline = await cleanSweep();
    origin.on(sigUrl(OLDER), () => hostileResponse(origin.track(endlessBody(HTML_404))), 'GET');
    const hostile = await sweep(origin.fetch);
    await expectSurvived(baseline, hostile, { maxMs: 5_000 });
    // The signature still verifies by the .asc; the .sig of a pinned release that is not
    // served is itself reported (no silence on manifests), mildly at first.
    expect(hostile.findings.map((f) => [f.kind, f.severity, f.subject])).toEqual([
      ['manifest-unavailable', 'P2', sigUrl(OLDER)],
    ]);
    expect(origin.probes()).toHaveLength(1);
    expect(origin.probes()[0]?.bytes).toBeLessThanOrEqual(64 * 1024 + HTML_404.length);
  });

  it('a valid signature by a key outside the trust set is manifest-signature-invalid (unknown-key); the pin keeps its signer', async () => {
    const baseline = await cleanSweep();
    await site.signWithOtherKey(OLDER);
    const hostile = await sweep(site.fetcher);
    await expectSurvived(baseline, hostile, { maxMs: 5_000 });
    expect(kinds(hostile)).toEqual(['manifest-signature-invalid']);
    expect(only(hostile, 'manifest-signature-invalid').observed).toBe('unknown-key');
  });
});

/**
 * The trust model pins key fingerprints, not user ids. A user id is a label that the key's
 * holder certifies; it says nothing about who made a signature. So the same key material
 * re-published under another user id is the same key and must verify, and an attacker's
 * key published under the release team's exact user id must not.
 */
describe('user ids do not decide trust', () => {
  const RELEASER = { name: 'Demo Releaser', email: 'demo@example.invalid' };
  const keyDate = () => new Date(Date.now() - 400 * 86_400_000);

  async function newKey(userID: { name: string; email: string }) {
    return openpgp.generateKey({
      type: 'ecc',
      curve: 'curve25519Legacy',
      userIDs: [userID],
      date: keyDate(),
      format: 'armored',
    });
  }

  /** The same key material under another user id, certified when the key was made. */
  async function relabelled(privateKeyArmored: string): Promise<string> {
    const privateKey = await openpgp.readPrivateKey({ armoredKey: privateKeyArmored });
    const { publicKey } = await openpgp.reformatKey({
      privateKey,
      userIDs: [{ name: 'Someone Else Entirely', email: 'other@example.invalid' }],
      date: privateKey.getCreationTime(),
      format: 'armored',
    });
    return publicKey;
  }

  async function fingerprintOf(armoredKey: string): Promise<string> {
    return (await openpgp.readKey({ armoredKey })).getFingerprint().toUpperCase();
  }

  async function userIdsOf(armoredKey: string): Promise<string[]> {
    return (await openpgp.readKey({ armoredKey })).getUserIDs();
  }

  /** Both signature forms over `text`, as the release team's gpg writes them. */
  async function signAs(privateKeyArmored: string, text: string) {
    const signingKeys = await openpgp.readPrivateKey({ armoredKey: privateKeyArmored });
    const sig = await openpgp.sign({
      message: await openpgp.createMessage({ binary: utf8(text) }),
      signingKeys,
      detached: true,
      format: 'binary',
    });
    const asc = await openpgp.sign({
      message: await openpgp.createCleartextMessage({ text: text.replace(/\n$/, '') }),
      signingKeys,
    });
    return { sig, asc: asc.replace(/\r\n/g, '\n') };
  }

  it('the release key re-published under another user id is the same key: it verifies, no finding', async () => {
    const key = await newKey(RELEASER);
    site = await createDistSite({
      artifactsPerRelease: 4,
      key: {
        privateKeyArmored: key.privateKey,
        publicKeyArmored: key.publicKey,
      },
    });
    const other = await relabelled(key.privateKey);
    expect(await fingerprintOf(other)).toBe(await fingerprintOf(key.publicKey));
    expect(await userIdsOf(other)).not.toEqual(await userIdsOf(key.publicKey));
    testEnv = { ...testEnv, RELEASE_KEYS: other } as MonitorEnv;

    const swept = await sweep(site.fetcher);
    expect(swept.findings).toEqual([]);
    const pin = JSON.parse((await env.PINS.get(`pin:release:${OLDER}`)) ?? '{}') as {
      signer?: string;
    };
    expect(pin.signer).toBe(await fingerprintOf(key.publicKey));
  });

  it("another key under the release team's exact user id is manifest-signature-invalid (unknown-key); the pin is kept", async () => {
    const baseline = await cleanSweep();
    const impostor = await newKey(RELEASER);
    expect(await userIdsOf(impostor.publicKey)).toEqual(await userIdsOf(site.publicKeyArmored));
    const text = await (await site.fetcher(manifestUrl(OLDER))).text();
    const signed = await signAs(impostor.privateKey, text);
    origin.on(sigUrl(OLDER), () => hostileResponse(origin.track(fixedBody(signed.sig))), 'GET');
    origin.on(
      ascUrl(OLDER),
      () => hostileResponse(origin.track(fixedBody(utf8(signed.asc)))),
      'GET',
    );

    const hostile = await sweep(origin.fetch);
    await expectSurvived(baseline, hostile, { maxMs: 5_000 });
    expect(kinds(hostile)).toEqual(['manifest-signature-invalid']);
    expect(only(hostile, 'manifest-signature-invalid').observed).toBe('unknown-key');
  });

  it.each([
    ['the pinned key under another user id is loaded', true],
    ["another key under the pinned key's user id is refused", false],
  ])('from the key URL: %s', async (_name, sameKey) => {
    const key = await newKey(RELEASER);
    const fingerprint = await fingerprintOf(key.publicKey);
    const served = sameKey ? await relabelled(key.privateKey) : (await newKey(RELEASER)).publicKey;
    const keysOrigin = createHostileOrigin(site.fetcher);
    keysOrigin.on(`https://keys.test/${fingerprint}.asc`, () =>
      hostileResponse(keysOrigin.track(fixedBody(utf8(served)))),
    );
    const loaded = await loadTrustedKeys({
      keyUrlTemplate: 'https://keys.test/{fingerprint}.asc',
      fetch: keysOrigin.fetch,
      kv: env.PINS,
      now: new Date(),
      pinnedFingerprints: [fingerprint],
      memoryCache: new Map(),
    });
    if (sameKey) {
      expect(loaded.keys.map((k) => k.getFingerprint().toUpperCase())).toEqual([fingerprint]);
      expect(loaded.keys[0]?.getUserIDs()).toEqual(await userIdsOf(served));
    } else {
      expect(loaded.keys).toEqual([]);
      expect(loaded.unavailable).toEqual([fingerprint]);
    }
  });
});

describe('redirects', () => {
  it('a chain of five same-host redirects (the limit) is followed, and the manifest verifies', async () => {
    const baseline = await cleanSweep();
    origin.on(manifestUrl(OLDER), redirectChain(5), 'GET');
    const hostile = await sweep(origin.fetch);
    await expectSurvived(baseline, hostile, { maxMs: 5_000 });
    expect(hostile.findings).toEqual([]);
    expect(origin.hits).toHaveLength(6);
  });

  it('a chain of six same-host redirects (past the limit) stops at the sixth hop: manifest-missing', async () => {
    const baseline = await cleanSweep();
    origin.on(manifestUrl(OLDER), redirectChain(6), 'GET');
    const hostile = await sweep(origin.fetch);
    await expectSurvived(baseline, hostile, { maxMs: 5_000, artifactsSkipped: 4 });
    expect(kinds(hostile)).toEqual(['manifest-missing']);
    expect(hostile.findings[0]?.observed).toMatch(/^too-many-redirects/);
    // Six hops, not retried.
    expect(origin.hits).toHaveLength(6);
  });

  it('a redirect loop on a manifest is cut at the first repeat, not retried, and is manifest-missing', async () => {
    const baseline = await cleanSweep();
    origin.on(manifestUrl(OLDER), redirectLoop(), 'GET');
    const hostile = await sweep(origin.fetch);
    await expectSurvived(baseline, hostile, { maxMs: 5_000, artifactsSkipped: 4 });
    expect(kinds(hostile)).toEqual(['manifest-missing']);
    expect(hostile.findings[0]?.observed).toMatch(/^redirect-loop/);
    expect(origin.hits).toHaveLength(2);
  });

  it('a redirect loop on an artifact HEAD is cut at the first repeat', async () => {
    const baseline = await cleanSweep();
    const url = `${BASE}/${OLDER}/${site.files(OLDER)[0] as string}`;
    origin.on(url, redirectLoop(), 'HEAD');
    const hostile = await sweep(origin.fetch);
    await expectSurvived(baseline, hostile, { maxMs: 5_000 });
    expect(origin.hits).toHaveLength(2);
    expect(kinds(hostile)).toEqual(['artifact-missing']);
  });

  it('a redirect whose own body never ends and claims 10 GB costs nothing: the body is never read', async () => {
    const baseline = await cleanSweep();
    origin.on(
      manifestUrl(OLDER),
      (request, upstream) => {
        const url = new URL(request.url);
        if (url.searchParams.has('hop')) {
          return upstream(new Request(url.origin + url.pathname));
        }
        return hostileResponse(origin.track(endlessBody(MANIFEST_LINES)), {
          status: 302,
          headers: { location: `${url.origin}${url.pathname}?hop=1`, 'content-length': TEN_GB },
        });
      },
      'GET',
    );
    const hostile = await sweep(origin.fetch);
    await expectSurvived(baseline, hostile, { maxMs: 5_000 });
    expect(hostile.findings).toEqual([]);
    expect(origin.probes().every((probe) => probe.bytes <= MANIFEST_LINES.length)).toBe(true);
  });
});

describe('slowloris', () => {
  it('a manifest dripping one byte every 200 ms times out within the deadline and is skipped', async () => {
    const baseline = await cleanSweep();
    origin.on(
      manifestUrl(OLDER),
      () => hostileResponse(origin.track(slowlorisBody(MANIFEST_LINES, 200))),
      'GET',
    );
    const hostile = await sweep(origin.fetch, { REQUEST_TIMEOUT_MS: SHORT_TIMEOUT_MS });
    await expectSurvived(baseline, hostile, { maxMs: 5_000, artifactsSkipped: 4 });
    expect(hostile.findings).toEqual([]);
    expect(hostile.summary.skipped).toContainEqual({
      what: `release ${OLDER}`,
      reason: 'manifest-unavailable',
      count: 1,
    });
    expect(origin.probes()).toHaveLength(2);
    for (const probe of origin.probes()) {
      expect(probe.bytes).toBeLessThanOrEqual(2);
      expect(probe.cancelled).toBe(true);
    }
  });

  it('a whole site dripping its bodies trips the circuit breaker: the sweep ends in seconds, outage after the threshold', async () => {
    const baseline = await cleanSweep();
    const drip: Parameters<HostileOrigin['on']>[1] = async (request, upstream) => {
      const honest = await upstream(request);
      const bytes = new Uint8Array(await honest.arrayBuffer());
      return hostileResponse(origin.track(slowlorisBody(bytes, 200)), {
        headers: Object.fromEntries(honest.headers),
      });
    };
    origin.on(INDEX_URL, drip, 'GET');
    // A HEAD has no body to drip: the whole site's HEADs stall before their headers instead.
    // (Pinned releases' artifacts are checked even when their manifest does not answer.)
    const stall: Parameters<HostileOrigin['on']>[1] = () => new Promise<Response>(() => {});
    for (const version of baseline.clean.summary.releases) {
      for (const url of [manifestUrl(version), sigUrl(version), ascUrl(version)]) {
        origin.on(url, drip, 'GET');
      }
      for (const file of site.files(version))
        origin.on(`${BASE}/${version}/${file}`, stall, 'HEAD');
    }
    const first = await sweep(origin.fetch, { REQUEST_TIMEOUT_MS: SHORT_TIMEOUT_MS });
    // Five failures in a row (each tried twice), then the breaker opens: no more requests,
    // beyond the artifact HEADs already in flight (six at a time) when it opened.
    expect(origin.hits.length).toBeLessThanOrEqual((CIRCUIT_BREAKER_FAILURES + 6 - 1) * 2);
    expect(first.elapsedMs).toBeLessThan(5_000);
    expect(first.summary.skipped.some((entry) => entry.reason === 'origin-failing')).toBe(true);
    expect(first.findings).toEqual([]);
    expect(await monitorStateStub(testEnv).latestSweep()).toMatchObject({ id: first.summary.id });
    expect(await pinSnapshot()).toEqual(baseline.pins);

    const second = await sweep(origin.fetch, { REQUEST_TIMEOUT_MS: SHORT_TIMEOUT_MS });
    expect(second.elapsedMs).toBeLessThan(5_000);
    // Nothing could be downloaded: the site counts as down, P0, from the second sweep on.
    expect(kinds(second)).toEqual(['origin-unavailable']);
    expect(only(second, 'origin-unavailable').severity).toBe('P0');
    expect(await pinSnapshot()).toEqual(baseline.pins);
  });
});

describe('headers that lie about length', () => {
  it('a manifest GET longer than its Content-Length is refused at the declared length: manifest-signature-invalid (too-large)', async () => {
    const baseline = await cleanSweep();
    origin.on(
      manifestUrl(OLDER),
      async (request, upstream) => {
        const honest = new Uint8Array(await (await upstream(request)).arrayBuffer());
        return hostileResponse(origin.track(fixedBody(honest)), {
          headers: { 'content-length': String(honest.length - 40) },
        });
      },
      'GET',
    );
    const hostile = await sweep(origin.fetch);
    await expectSurvived(baseline, hostile, { maxMs: 5_000, artifactsSkipped: 4 });
    expect(kinds(hostile)).toEqual(['manifest-signature-invalid']);
    expect(only(hostile, 'manifest-signature-invalid').observed).toBe('too-large');
  });

  it('an artifact HEAD claiming fewer bytes than pinned is artifact-metadata-changed (size)', async () => {
    const baseline = await cleanSweep();
    const url = `${BASE}/${OLDER}/${site.files(OLDER)[1] as string}`;
    origin.on(
      url,
      async (request, upstream) => {
        const honest = await upstream(request);
        return hostileResponse(null, {
          headers: { ...Object.fromEntries(honest.headers), 'content-length': '1' },
        });
      },
      'HEAD',
    );
    const hostile = await sweep(origin.fetch);
    await expectSurvived(baseline, hostile, { maxMs: 5_000 });
    expect(kinds(hostile)).toEqual(['artifact-metadata-changed']);
    expect(only(hostile, 'artifact-metadata-changed').evidence['changed']).toEqual(['size']);
  });

  it('a HEAD answer that carries a body that never ends is ignored: the body is never read', async () => {
    const baseline = await cleanSweep();
    const url = `${BASE}/${OLDER}/${site.files(OLDER)[2] as string}`;
    origin.on(
      url,
      async (request, upstream) => {
        const honest = await upstream(request);
        return hostileResponse(origin.track(endlessBody(MANIFEST_LINES)), {
          headers: Object.fromEntries(honest.headers),
        });
      },
      'HEAD',
    );
    const hostile = await sweep(origin.fetch);
    await expectSurvived(baseline, hostile, { maxMs: 5_000 });
    expect(hostile.findings).toEqual([]);
    expect(origin.probes()).toHaveLength(1);
    expect(origin.probes()[0]?.bytes).toBeLessThanOrEqual(MANIFEST_LINES.length);
  });

  it('a wrong Content-Length on a content-encoded manifest does not matter: nothing', async () => {
    const baseline = await cleanSweep();
    origin.on(
      manifestUrl(OLDER),
      async (request, upstream) => {
        const honest = new Uint8Array(await (await upstream(request)).arrayBuffer());
        return hostileResponse(origin.track(fixedBody(honest)), {
          headers: { 'content-length': '7', 'content-encoding': 'gzip' },
        });
      },
      'GET',
    );
    const hostile = await sweep(origin.fetch);
    await expectSurvived(baseline, hostile, { maxMs: 5_000 });
    expect(hostile.findings).toEqual([]);
  });
});
