import { generateKey } from 'openpgp';
import { beforeAll, describe, expect, it } from 'vitest';
import { PINNED_RELEASE_KEY_FINGERPRINTS, RELEASE_KEYS } from '../src/core/release-keys';
import { parseArmoredKeys, primaryFingerprint, selectPinnedKeys } from '../src/core/trust-set';

const BROKEN_BLOCK =
  '-----BEGIN PGP PUBLIC KEY BLOCK-----\n\nAAAA\n-----END PGP PUBLIC KEY BLOCK-----';

let first: { armored: string; privateArmored: string; fingerprint: string };
let second: { armored: string; fingerprint: string };

beforeAll(async () => {
  const [a, b] = await Promise.all(
    ['First', 'Second'].map((name) =>
      generateKey({ userIDs: [{ name }], type: 'curve25519', format: 'armored' }),
    ),
  );
  if (a === undefined || b === undefined) throw new Error('key generation failed');
  const fingerprintOf = async (armored: string) => {
    const parsed = await parseArmoredKeys(armored);
    if (!parsed.ok || parsed.value[0] === undefined) throw new Error('test key does not parse');
    return primaryFingerprint(parsed.value[0]);
  };
  first = {
    armored: a.publicKey,
    privateArmored: a.privateKey,
    fingerprint: await fingerprintOf(a.publicKey),
  };
  second = { armored: b.publicKey, fingerprint: await fingerprintOf(b.publicKey) };
});

describe('parseArmoredKeys', () => {
  it('reads every block of concatenated armored keys', async () => {
    const parsed = await parseArmoredKeys(`comment\n${first.armored}\n\n${second.armored}`);
    expect(parsed.ok && parsed.value.map(primaryFingerprint)).toEqual([
      first.fingerprint,
      second.fingerprint,
    ]);
  });

  it.each([
    ['text without a key block', 'hello'],
    ['a block with a broken body', BROKEN_BLOCK],
  ])('rejects %s', async (_label, text) => {
    expect((await parseArmoredKeys(text)).ok).toBe(false);
  });

  it('fails as a whole when one of several blocks is broken', async () => {
    expect(await parseArmoredKeys(`${first.armored}\n${BROKEN_BLOCK}`)).toMatchObject({
      ok: false,
    });
  });

  it('refuses a private key block', async () => {
    expect(await parseArmoredKeys(first.privateArmored)).toMatchObject({ ok: false });
  });
});

describe('selectPinnedKeys', () => {
  it('trusts pinned keys (any case) and rejects the others', async () => {
    const parsed = await parseArmoredKeys(`${first.armored}\n${second.armored}\n${first.armored}`);
    if (!parsed.ok) throw new Error(parsed.error);
    const selection = selectPinnedKeys(parsed.value, [first.fingerprint.toLowerCase()]);
    expect(selection.trusted.map(primaryFingerprint)).toEqual([first.fingerprint]);
    expect(selection.rejected).toEqual([second.fingerprint]);
  });
});

describe('the pinned release keys', () => {
  it('are 40-hex uppercase fingerprints, each pinned once', () => {
    for (const fingerprint of PINNED_RELEASE_KEY_FINGERPRINTS)
      expect(fingerprint).toMatch(/^[0-9A-F]{40}$/);
    expect(new Set(PINNED_RELEASE_KEY_FINGERPRINTS).size).toBe(
      PINNED_RELEASE_KEY_FINGERPRINTS.length,
    );
  });

  it('mark the nine current releasers as active', () => {
    expect(RELEASE_KEYS.filter((key) => key.status === 'active')).toHaveLength(9);
  });
});
