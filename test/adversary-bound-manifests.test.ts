/**
 * Issue 13 items 1 and 7, bound manifests: a validly signed manifest pins only the release
 * it names, signed for it by a key active at its release and not long before it was first
 * seen. Full sweeps against a site that serves another release's signed files, or a
 * brand-new release on a backdated signature by an expired key or with SHA-1.
 */
import * as openpgp from 'openpgp';
import { beforeEach, describe, expect, it } from 'vitest';
import { createDistSite, type DistSite } from '../tools/dist-site/site';
import { monitorStateStub } from '../src/durable/monitor-state';
import {
  ascUrl,
  at,
  createAdversarySite,
  createHarness,
  fileAnswer,
  findingsOf,
  manifestUrl,
  only,
  pinOf,
  sigUrl,
  type AdversarySite,
  type Harness,
  type RawIndexEntry,
} from './hostile/adversary';

const T0 = new Date('2026-11-20T10:00:00Z');
const NEW = 'v25.2.0';
const PREVIOUS = 'v25.1.0';
/** A release that appears only after the baseline, signed by whoever the test says. */
const FRESH = 'v25.3.0';
const FRESH_FILES = [`node-${FRESH}-linux-x64.tar.xz`, `node-${FRESH}.tar.gz`, 'win-x64/node.exe'];

let site: DistSite;
let adversary: AdversarySite;

beforeEach(async () => {
  site = await createDistSite({ now: T0, artifactsPerRelease: 3 });
  adversary = createAdversarySite(site);
});

/** index.json with FRESH listed first, dated `date`. */
function listFresh(date: string): (entries: RawIndexEntry[]) => RawIndexEntry[] {
  return (entries) => {
    const newest = entries[0] as RawIndexEntry;
    return [{ ...newest, version: FRESH, date, lts: false, security: false }, ...entries];
  };
}

/** Serves FRESH's manifest, signed (both forms) by `key` at `signedAt`. */
async function serveFreshManifest(
  key: openpgp.PrivateKey,
  signedAt: Date,
  config?: openpgp.PartialConfig,
): Promise<void> {
  const text = FRESH_FILES.map((name, i) => `${String(i + 1).repeat(64)}  ${name}\n`).join('');
  const sig = await openpgp.sign({
    message: await openpgp.createMessage({ binary: new TextEncoder().encode(text) }),
    signingKeys: key,
    detached: true,
    format: 'binary',
    date: signedAt,
    ...(config && { config }),
  });
  const asc = await openpgp.sign({
    message: await openpgp.createCleartextMessage({ text: text.replace(/\n$/, '') }),
    signingKeys: key,
    date: signedAt,
    ...(config && { config }),
  });
  adversary.everywhere(manifestUrl(FRESH), () => fileAnswer(text));
  adversary.everywhere(sigUrl(FRESH), () => fileAnswer(sig));
  adversary.everywhere(ascUrl(FRESH), () => fileAnswer(asc));
}

/** The site's key plus `extra`, as the RELEASE_KEYS secret. */
function trusting(extra: openpgp.PrivateKey): Harness {
  return createHarness(site, adversary.monitorFetch, {
    RELEASE_KEYS: `${site.publicKeyArmored}\n${extra.toPublic().armor()}`,
  });
}

describe('another release’s signed manifest', () => {
  it('served as a new release’s is manifest-signature-invalid (P0, not bound) and pins nothing', async () => {
    const harness = createHarness(site, adversary.monitorFetch);
    site.pruneIndex([NEW]);
    await harness.sweep(T0);
    site.reset();
    site.substituteManifest(NEW, PREVIOUS);
    site.tamperArtifact(NEW, site.files(NEW)[0] as string);

    const findings = await harness.sweep(at(T0, 5));
    const unbound = only(findings, 'manifest-signature-invalid', manifestUrl(NEW));
    expect(unbound.severity).toBe('P0');
    expect(unbound.observed).toBe(`not bound to ${NEW}: names-another-release`);
    expect(await pinOf(NEW)).toBeUndefined();
    // Nothing of the new release is queued as "expected" with the other release's hashes.
    expect(harness.queued.filter((job) => job.version === NEW)).toEqual([]);
    const coverage = await monitorStateStub(harness.env).rotationCoverage({
      now: at(T0, 5).toISOString(),
      periodMs: 7 * 24 * 60 * 60 * 1000,
    });
    expect(coverage.find((line) => line.line === 'v25.x')?.complete).toBe(false);
  });
});

describe('a brand-new release on an old signature', () => {
  let expired: openpgp.PrivateKey;
  let sha1Key: openpgp.PrivateKey;

  beforeEach(async () => {
    const user = [{ name: 'Former Releaser', email: 'former@example.test' }];
    [expired, sha1Key] = await Promise.all([
      openpgp
        .generateKey({
          userIDs: user,
          type: 'curve25519',
          date: new Date('2014-06-01T00:00:00Z'),
          keyExpirationTime: 2 * 365 * 24 * 60 * 60,
          format: 'object',
        })
        .then((pair) => pair.privateKey),
      openpgp
        .generateKey({
          userIDs: user,
          type: 'rsa',
          rsaBits: 2048,
          date: new Date('2013-01-01T00:00:00Z'),
          config: {
            preferredHashAlgorithm: openpgp.enums.hash.sha1,
            nonDeterministicSignaturesViaNotation: false,
          },
          format: 'object',
        })
        .then((pair) => pair.privateKey),
    ]);
  });

  it('signed in 2015 by a since-expired key is not bound and not pinned', async () => {
    const harness = trusting(expired);
    expect(await harness.sweep(T0)).toEqual([]);
    adversary.rewriteIndex(listFresh('2026-11-20'));
    await serveFreshManifest(expired, new Date('2015-06-01T00:00:00Z'));
    const findings = await harness.sweep(at(T0, 5));
    expect(only(findings, 'manifest-signature-invalid', manifestUrl(FRESH))).toMatchObject({
      severity: 'P0',
      observed: `not bound to ${FRESH}: signed-before-release`,
    });
    expect(await pinOf(FRESH)).toBeUndefined();
  });

  it('signed in 2015 by a since-expired key is not pinned even when index.json backdates the release', async () => {
    const harness = trusting(expired);
    await harness.sweep(T0);
    adversary.rewriteIndex(listFresh('2015-05-30'));
    await serveFreshManifest(expired, new Date('2015-06-01T00:00:00Z'));
    const findings = await harness.sweep(at(T0, 5));
    expect(only(findings, 'manifest-signature-invalid', manifestUrl(FRESH)).observed).toBe(
      `not bound to ${FRESH}: signed-before-first-sighting`,
    );
    expect(await pinOf(FRESH)).toBeUndefined();
  });

  it('signed with SHA-1 on 2016-12-31, the eve of the SHA-1 cutoff, is not pinned', async () => {
    const harness = trusting(sha1Key);
    await harness.sweep(T0);
    adversary.rewriteIndex(listFresh('2016-12-30'));
    await serveFreshManifest(sha1Key, new Date('2016-12-31T23:00:00Z'), {
      preferredHashAlgorithm: openpgp.enums.hash.sha1,
      nonDeterministicSignaturesViaNotation: false,
    });
    const findings = await harness.sweep(at(T0, 5));
    const unbound = only(findings, 'manifest-signature-invalid', manifestUrl(FRESH));
    expect(unbound.observed).toBe(`not bound to ${FRESH}: signed-before-first-sighting`);
    expect(unbound.evidence['hashAlgorithm']).toBe('SHA1');
    expect(await pinOf(FRESH)).toBeUndefined();
  });

  it('signed by an active key at its publication is pinned', async () => {
    const harness = trusting(expired);
    await harness.sweep(T0);
    adversary.rewriteIndex(listFresh('2026-11-20'));
    const key = await openpgp.readPrivateKey({
      armoredKey: (
        await openpgp.generateKey({
          userIDs: [{ name: 'Releaser' }],
          type: 'curve25519',
          date: new Date('2026-01-01T00:00:00Z'),
          format: 'armored',
        })
      ).privateKey,
    });
    const withKey = createHarness(site, adversary.monitorFetch, {
      RELEASE_KEYS: `${site.publicKeyArmored}\n${key.toPublic().armor()}`,
    });
    await serveFreshManifest(key, at(T0, 2));
    const findings = await withKey.sweep(at(T0, 5));
    expect(findingsOf(findings, 'manifest-signature-invalid')).toEqual([]);
    expect((await pinOf(FRESH))?.indexEntry?.date).toBe('2026-11-20');
  });
});

describe('an old release listed when the monitor starts', () => {
  it('signed at its release in 2013 is pinned on first use, without a finding', async () => {
    const old = await createDistSite({
      now: T0,
      artifactsPerRelease: 2,
      releases: [
        { version: 'v25.2.0', date: '2026-11-14', lts: false, security: false },
        { version: 'v0.10.0', date: '2013-03-11', lts: false, security: false },
      ],
    });
    const harness = createHarness(old, old.fetcher);
    expect(await harness.sweep(T0)).toEqual([]);
    const pin = await pinOf('v0.10.0');
    expect(pin?.indexEntry).toMatchObject({ version: 'v0.10.0', date: '2013-03-11' });
  });
});
