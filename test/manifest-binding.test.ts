/// <reference types="vite/types/import-meta.d.ts" />
/**
 * Binding a signed manifest to its release (src/core/manifest-binding.ts): table-driven over
 * the rules, and against the real v0.10.0 manifest, which must keep verifying as an old
 * release while it could never pin a release first seen today.
 */
import * as openpgp from 'openpgp';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  bindManifest,
  checkManifestNames,
  NEW_RELEASE_SIGNING_LEAD_MS,
  RELEASE_DATE_TOLERANCE_MS,
  type ManifestBindingInput,
} from '../src/core/manifest-binding';
import { parseManifest } from '../src/core/manifest';
import { RELEASE_KEYS, RELEASE_KEYS_LISTED_AT } from '../src/core/release-keys';
import { verifyManifestSignature } from '../src/core/signature';

const REAL = Object.fromEntries(
  Object.entries(
    import.meta.glob<string>('./fixtures/real-node/*.asc', {
      query: '?raw',
      import: 'default',
      eager: true,
    }),
  ).map(([path, text]) => [path.replace(/^.*\//, ''), text]),
);

function real(name: string): string {
  const text = REAL[name];
  if (text === undefined) throw new Error(`fixture ${name} missing`);
  return text;
}

const DAY = 24 * 60 * 60 * 1000;
const NOW = new Date('2026-11-20T10:00:00Z');
const ACTIVE = RELEASE_KEYS.find((key) => key.status === 'active')?.fingerprint ?? '';
const RETIRED = RELEASE_KEYS.find((key) => key.status === 'retired')?.fingerprint ?? '';
const V = 'v25.2.0';
const NAMES = [`node-${V}-linux-x64.tar.xz`, `node-${V}.tar.gz`, 'win-x64/node.exe'];

function input(overrides: Partial<ManifestBindingInput> = {}): ManifestBindingInput {
  return {
    version: V,
    names: NAMES,
    signature: { signer: ACTIVE, signedAt: new Date(NOW.getTime() - DAY) },
    releaseDate: '2026-11-19',
    novelty: { kind: 'new', firstSeenAt: NOW, notListedAt: new Date(NOW.getTime() - 5 * 60_000) },
    ...overrides,
  };
}

describe('checkManifestNames', () => {
  it.each([
    ['every versioned name carries the version', NAMES, true],
    [
      'v0.10.0’s flat layout with one versioned name',
      ['node.exe', 'x64/node.lib', `node-${V}.pkg`],
      true,
    ],
    ['another release’s manifest', NAMES.map((name) => name.replace(V, 'v25.1.0')), false],
    ['one foreign name among ours', [...NAMES, 'node-v25.1.0-linux-x64.tar.xz'], false],
    ['only unversioned names', ['win-x64/node.exe', 'win-x64/node.lib'], false],
    ['a longer version that starts like ours', [`node-${V}0-linux-x64.tar.xz`], false],
  ])('%s', (_label, names, bound) => {
    expect(checkManifestNames(V, names).ok).toBe(bound);
  });

  it('names the other release in the failure', () => {
    const result = checkManifestNames(V, ['node-v25.1.0.tar.gz']);
    expect(result).toMatchObject({ ok: false, error: { reason: 'names-another-release' } });
    expect(!result.ok && result.error.detail).toContain('v25.1.0');
  });
});

describe('bindManifest', () => {
  it('binds a brand-new release signed by an active key at its publication', () => {
    expect(bindManifest(input())).toEqual({ ok: true, value: undefined });
  });

  it.each<[string, Partial<ManifestBindingInput>, string]>([
    [
      'a brand-new release on a signature dated 2015',
      { signature: { signer: ACTIVE, signedAt: new Date('2015-06-01T00:00:00Z') } },
      'signed-before-release',
    ],
    [
      'a brand-new release with no release date on a signature dated 2016-12-31 (SHA-1 cutoff eve)',
      {
        releaseDate: undefined,
        signature: { signer: ACTIVE, signedAt: new Date('2016-12-31T23:00:00Z') },
      },
      'signed-before-first-sighting',
    ],
    [
      'a brand-new release whose index date was backdated along with its signature',
      {
        releaseDate: '2015-05-30',
        signature: { signer: ACTIVE, signedAt: new Date('2015-06-01T00:00:00Z') },
      },
      'signed-before-first-sighting',
    ],
    [
      'a brand-new release signed by a retired key',
      { signature: { signer: RETIRED, signedAt: new Date(NOW.getTime() - DAY) } },
      'retired-key',
    ],
    [
      'an old release signed by a retired key after the list was taken',
      {
        novelty: { kind: 'baseline' },
        releaseDate: '2019-01-01',
        signature: { signer: RETIRED, signedAt: new Date(`${RELEASE_KEYS_LISTED_AT}T12:00:00Z`) },
      },
      'retired-key',
    ],
    [
      'another release’s files',
      { names: NAMES.map((name) => name.replace(V, 'v25.1.0')) },
      'names-another-release',
    ],
  ])('refuses %s', (_label, overrides, reason) => {
    expect(bindManifest(input(overrides))).toMatchObject({ ok: false, error: { reason } });
  });

  it('allows a new release’s signature up to the lead before it was last seen unlisted', () => {
    const notListedAt = new Date(NOW.getTime() - DAY);
    const edge = new Date(notListedAt.getTime() - NEW_RELEASE_SIGNING_LEAD_MS);
    const at = (signedAt: Date) =>
      bindManifest(
        input({
          releaseDate: undefined,
          signature: { signer: ACTIVE, signedAt },
          novelty: { kind: 'new', firstSeenAt: NOW, notListedAt },
        }),
      ).ok;
    expect(at(edge)).toBe(true);
    expect(at(new Date(edge.getTime() - 1))).toBe(false);
  });

  it('allows a signature up to the tolerance before the release day, not earlier', () => {
    const day = Date.parse('2026-11-19T00:00:00Z');
    const at = (ms: number) =>
      bindManifest(
        input({
          novelty: { kind: 'baseline' },
          signature: { signer: ACTIVE, signedAt: new Date(ms) },
        }),
      ).ok;
    expect(at(day - RELEASE_DATE_TOLERANCE_MS)).toBe(true);
    expect(at(day - RELEASE_DATE_TOLERANCE_MS - 1)).toBe(false);
  });

  it('takes an old release with an old signature by a retired key on first use', () => {
    const result = bindManifest(
      input({
        novelty: { kind: 'baseline' },
        releaseDate: '2019-03-28',
        signature: { signer: RETIRED, signedAt: new Date('2019-03-28T15:00:00Z') },
      }),
    );
    expect(result.ok).toBe(true);
  });

  it('treats keys outside the pinned list (a replaced trust set) as active', () => {
    const result = bindManifest(
      input({ signature: { signer: 'AB'.repeat(20), signedAt: new Date(NOW.getTime() - DAY) } }),
    );
    expect(result.ok).toBe(true);
  });
});

describe('the real v0.10.0 manifest (2013, SHA-1, a key retired since)', () => {
  let verdict: Awaited<ReturnType<typeof verifyManifestSignature>>;
  let names: string[];
  const version = 'v0.10.0';

  beforeAll(async () => {
    const clearsigned = real('SHASUMS256-v0.10.0.txt.asc');
    const key = await openpgp.readKey({
      armoredKey: real('93C7E9E91B49E432C2F75674B0A78B0A6C481CF6.asc'),
    });
    const text = (await openpgp.readCleartextMessage({ cleartextMessage: clearsigned })).getText();
    verdict = await verifyManifestSignature({
      manifestText: `${text}\n`,
      clearsigned,
      trustedKeys: [key],
      sha1Cutoff: new Date('2017-01-01T00:00:00Z'),
      now: NOW,
    });
    const parsed = parseManifest(`${text}\n`, { maxBytes: 1024 * 1024 });
    if (!parsed.ok) throw new Error('the real manifest does not parse');
    names = parsed.value.entries.map((entry) => entry.name);
  });

  it('verifies, by the retired key, with SHA-1, signed six days after the release', () => {
    expect(verdict).toMatchObject({
      ok: true,
      signer: '93C7E9E91B49E432C2F75674B0A78B0A6C481CF6',
      hashAlgorithm: 'SHA1',
      signingKeyExpiresAt: null,
    });
    expect(verdict.ok && verdict.signedAt.toISOString()).toBe('2013-03-17T07:12:48.000Z');
    expect(verdict.ok && verdict.signingKeyCreatedAt.getUTCFullYear()).toBe(2010);
  });

  it('binds to v0.10.0 when it was listed at the monitor’s baseline', () => {
    if (!verdict.ok) throw new Error('setup');
    const result = bindManifest({
      version,
      names,
      signature: verdict,
      releaseDate: '2013-03-11',
      novelty: { kind: 'baseline' },
    });
    expect(result).toEqual({ ok: true, value: undefined });
  });

  it('does not bind a release first seen today, nor another version', () => {
    if (!verdict.ok) throw new Error('setup');
    const asNew = bindManifest({
      version,
      names,
      signature: verdict,
      releaseDate: '2013-03-11',
      novelty: { kind: 'new', firstSeenAt: NOW },
    });
    expect(asNew).toMatchObject({ ok: false, error: { reason: 'retired-key' } });
    const other = bindManifest({ version: 'v0.10.1', names, signature: verdict });
    expect(other).toMatchObject({ ok: false, error: { reason: 'names-another-release' } });
  });
});

describe('key facts from the key material', () => {
  it('states the expiry of a retired key that expired (Julien Gilli’s, 2019-01-08)', async () => {
    const key = await openpgp.readKey({
      armoredKey: real('114F43EE0176B71C7BC219DD50A3051F888C628D.asc'),
    });
    expect(
      RELEASE_KEYS.find((k) => k.fingerprint === key.getFingerprint().toUpperCase())?.status,
    ).toBe('retired');
    const expiry = await key.getExpirationTime();
    expect(expiry instanceof Date && expiry.toISOString().slice(0, 10)).toBe('2019-01-08');
  });
});
