import {
  createCleartextMessage,
  createMessage,
  enums,
  reformatKey,
  sign,
  type PartialConfig,
} from 'openpgp';
import { beforeAll, describe, expect, it } from 'vitest';
import { verifyManifestSignature, type VerifyManifestSignatureInput } from '../src/core/signature';
import { DAY_MS, newKey, NOW, SHA1_CUTOFF, SIGNED_AT, type TestKey } from './signature-fixtures';

const MANIFEST = [
  `${'a1'.repeat(32)}  node-v24.0.0-linux-x64.tar.xz`,
  `${'b2'.repeat(32)}  node-v24.0.0.tar.gz`,
  `${'c3'.repeat(32)}  win-x64/node.exe`,
  '',
].join('\n');

// SHA-1 and MD5 signatures need keys that list them among their preferred hashes, and
// openpgp's salt notation only works with modern hashes.
const LEGACY_SHA1: PartialConfig = {
  preferredHashAlgorithm: enums.hash.sha1,
  nonDeterministicSignaturesViaNotation: false,
};
const LEGACY_MD5: PartialConfig = {
  preferredHashAlgorithm: enums.hash.md5,
  nonDeterministicSignaturesViaNotation: false,
  rejectHashAlgorithms: new Set(),
};

let ed25519: TestKey;
let rsa: TestKey;
let md5Rsa: TestKey;
let subkeySigner: TestKey;
let stranger: TestKey;
/** Valid 2015-01-01 .. 2016-01-01. */
let expiring: TestKey;
/** The same key material as `expiring` without the expiry, to sign after it expired. */
let expiringUnbounded: TestKey;

beforeAll(async () => {
  [ed25519, rsa, md5Rsa, subkeySigner, stranger, expiringUnbounded] = await Promise.all([
    newKey({ type: 'curve25519' }),
    newKey({ type: 'rsa', date: new Date('2013-01-01T00:00:00Z'), config: LEGACY_SHA1 }),
    newKey({ type: 'rsa', date: new Date('2013-01-01T00:00:00Z'), config: LEGACY_MD5 }),
    newKey({ type: 'curve25519', signingSubkey: true }),
    newKey({ type: 'curve25519' }),
    newKey({ type: 'curve25519', date: new Date('2015-01-01T00:00:00Z') }),
  ]);
  expiring = await reformatKey({
    privateKey: expiringUnbounded.privateKey,
    userIDs: [{ name: 'Test Releaser', email: 'releaser@example.test' }],
    keyExpirationTime: 365 * 24 * 60 * 60,
    date: new Date('2015-01-01T00:00:00Z'),
    format: 'object',
  });
});

interface SignOptions {
  readonly date?: Date;
  readonly config?: PartialConfig;
}

async function signDetached(
  key: TestKey,
  text: string,
  options: SignOptions = {},
): Promise<Uint8Array> {
  return sign({
    message: await createMessage({ binary: new TextEncoder().encode(text) }),
    signingKeys: key.privateKey,
    detached: true,
    format: 'binary',
    date: options.date ?? SIGNED_AT,
    ...(options.config && { config: options.config }),
  });
}

async function signClear(key: TestKey, text: string, options: SignOptions = {}): Promise<string> {
  return sign({
    message: await createCleartextMessage({ text }),
    signingKeys: key.privateKey,
    date: options.date ?? SIGNED_AT,
    ...(options.config && { config: options.config }),
  });
}

function input(overrides: Partial<VerifyManifestSignatureInput>): VerifyManifestSignatureInput {
  return {
    manifestText: MANIFEST,
    trustedKeys: [ed25519, rsa, md5Rsa, subkeySigner, expiring].map((key) => key.publicKey),
    sha1Cutoff: SHA1_CUTOFF,
    now: NOW,
    ...overrides,
  };
}

function fingerprintOf(key: TestKey): string {
  return key.publicKey.getFingerprint().toUpperCase();
}

describe('verifyManifestSignature: valid signatures', () => {
  it('accepts a detached signature by a trusted key', async () => {
    const verdict = await verifyManifestSignature(
      input({ detachedSignature: await signDetached(ed25519, MANIFEST) }),
    );
    expect(verdict).toMatchObject({
      ok: true,
      signer: fingerprintOf(ed25519),
      signingKeyId: ed25519.publicKey.getKeyID().toHex().toUpperCase(),
      signedAt: SIGNED_AT,
      via: ['detached'],
    });
  });

  it('accepts a clearsigned manifest by a trusted key', async () => {
    const verdict = await verifyManifestSignature(
      input({ clearsigned: await signClear(ed25519, MANIFEST) }),
    );
    expect(verdict).toMatchObject({
      ok: true,
      signer: fingerprintOf(ed25519),
      via: ['clearsigned'],
    });
  });

  it('accepts both forms when both verify', async () => {
    const verdict = await verifyManifestSignature(
      input({
        detachedSignature: await signDetached(ed25519, MANIFEST),
        clearsigned: await signClear(ed25519, MANIFEST),
      }),
    );
    expect(verdict).toMatchObject({ ok: true, via: ['detached', 'clearsigned'] });
  });

  it('accepts an RSA-2048 key', async () => {
    const verdict = await verifyManifestSignature(
      input({ detachedSignature: await signDetached(rsa, MANIFEST) }),
    );
    expect(verdict).toMatchObject({ ok: true, signer: fingerprintOf(rsa) });
  });

  it('accepts a signing subkey and names the primary fingerprint', async () => {
    const verdict = await verifyManifestSignature(
      input({ detachedSignature: await signDetached(subkeySigner, MANIFEST) }),
    );
    const primaryKeyId = subkeySigner.publicKey.getKeyID().toHex().toUpperCase();
    expect(verdict).toMatchObject({ ok: true, signer: fingerprintOf(subkeySigner) });
    expect(verdict.ok && verdict.signingKeyId).not.toBe(primaryKeyId);
  });

  it('accepts an armored signature served as .sig', async () => {
    const armored = await sign({
      message: await createMessage({ binary: new TextEncoder().encode(MANIFEST) }),
      signingKeys: ed25519.privateKey,
      detached: true,
      date: SIGNED_AT,
    });
    const verdict = await verifyManifestSignature(
      input({ detachedSignature: new TextEncoder().encode(armored) }),
    );
    expect(verdict).toMatchObject({ ok: true, via: ['detached'] });
  });

  it.each([
    ['CRLF line ends', MANIFEST.replace(/\n/g, '\r\n')],
    ['no final newline', MANIFEST.trimEnd()],
    ['trailing spaces', MANIFEST.replace('node.exe', 'node.exe  \t')],
  ])('accepts clearsigned text that differs from the manifest only by %s', async (_label, text) => {
    const verdict = await verifyManifestSignature(
      input({ manifestText: text, clearsigned: await signClear(ed25519, MANIFEST) }),
    );
    expect(verdict).toMatchObject({ ok: true });
  });
});

describe('verifyManifestSignature: rejected signatures', () => {
  it('reports missing when neither form is given', async () => {
    expect(await verifyManifestSignature(input({}))).toMatchObject({
      ok: false,
      reason: 'missing',
    });
  });

  it('rejects a signature by a key outside the trust set', async () => {
    const verdict = await verifyManifestSignature(
      input({ detachedSignature: await signDetached(stranger, MANIFEST) }),
    );
    expect(verdict).toMatchObject({ ok: false, reason: 'unknown-key' });
  });

  it('rejects a detached signature over different text', async () => {
    const verdict = await verifyManifestSignature(
      input({ detachedSignature: await signDetached(ed25519, MANIFEST.replace('a1a1', 'a1a2')) }),
    );
    expect(verdict).toMatchObject({ ok: false, reason: 'bad-signature' });
  });

  it('rejects a clearsigned message whose text was edited after signing', async () => {
    const clearsigned = (await signClear(ed25519, MANIFEST)).replace('node.exe', 'node.com');
    const verdict = await verifyManifestSignature(
      input({ manifestText: MANIFEST.replace('node.exe', 'node.com'), clearsigned }),
    );
    expect(verdict).toMatchObject({ ok: false, reason: 'bad-signature' });
  });

  it.each([
    ['a line added', `${MANIFEST}${'d4'.repeat(32)}  evil.tar.gz\n`],
    ['a line changed', MANIFEST.replace('b2b2', 'b2b3')],
    ['a line removed', MANIFEST.split('\n').slice(1).join('\n')],
  ])(
    'rejects a valid clearsigned text that differs from the manifest by %s',
    async (_label, text) => {
      const verdict = await verifyManifestSignature(
        input({ manifestText: text, clearsigned: await signClear(ed25519, MANIFEST) }),
      );
      expect(verdict).toMatchObject({ ok: false, reason: 'clearsigned-text-mismatch' });
    },
  );

  it('rejects a bad .sig even when the .asc is good', async () => {
    const verdict = await verifyManifestSignature(
      input({
        detachedSignature: await signDetached(ed25519, 'another manifest\n'),
        clearsigned: await signClear(ed25519, MANIFEST),
      }),
    );
    expect(verdict).toMatchObject({ ok: false, reason: 'bad-signature' });
    expect(verdict.ok || verdict.detail).toMatch(/^detached:/);
  });

  it('rejects a malformed .asc even when the .sig is good', async () => {
    const verdict = await verifyManifestSignature(
      input({ detachedSignature: await signDetached(ed25519, MANIFEST), clearsigned: MANIFEST }),
    );
    expect(verdict).toMatchObject({ ok: false, reason: 'malformed' });
    expect(verdict.ok || verdict.detail).toMatch(/^clearsigned:/);
  });

  it.each([
    ['garbage bytes', new Uint8Array([0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08])],
    [
      'an HTML 404 page',
      new TextEncoder().encode('<!DOCTYPE html><html><body>404 Not Found</body></html>'),
    ],
    ['an empty file', new Uint8Array()],
  ])('rejects %s served as the detached signature as malformed', async (_label, bytes) => {
    const verdict = await verifyManifestSignature(input({ detachedSignature: bytes }));
    expect(verdict).toMatchObject({ ok: false, reason: 'malformed' });
  });

  it('rejects an HTML 404 page served as the clearsigned manifest as malformed', async () => {
    const verdict = await verifyManifestSignature(
      input({ clearsigned: '<!DOCTYPE html><html><body>404 Not Found</body></html>' }),
    );
    expect(verdict).toMatchObject({ ok: false, reason: 'malformed' });
  });

  it('rejects a signature dated more than 24 h after now', async () => {
    const verdict = await verifyManifestSignature(
      input({
        detachedSignature: await signDetached(ed25519, MANIFEST, {
          date: new Date(NOW.getTime() + 2 * DAY_MS),
        }),
      }),
    );
    expect(verdict).toMatchObject({ ok: false, reason: 'signed-in-future' });
  });

  it('forgives a signature dated a little after now (clock skew)', async () => {
    const verdict = await verifyManifestSignature(
      input({
        detachedSignature: await signDetached(ed25519, MANIFEST, {
          date: new Date(NOW.getTime() + 60 * 60 * 1000),
        }),
      }),
    );
    expect(verdict).toMatchObject({ ok: true });
  });
});

describe('verifyManifestSignature: SHA-1 cutoff', () => {
  it('accepts a SHA-1 detached signature made before the cutoff', async () => {
    const detachedSignature = await signDetached(rsa, MANIFEST, {
      date: new Date('2015-03-01T00:00:00Z'),
      config: LEGACY_SHA1,
    });
    const verdict = await verifyManifestSignature(input({ detachedSignature }));
    expect(verdict).toMatchObject({ ok: true, hashAlgorithm: 'SHA1', signer: fingerprintOf(rsa) });
  });

  it('accepts a SHA-1 clearsigned manifest made before the cutoff', async () => {
    const clearsigned = await signClear(rsa, MANIFEST, {
      date: new Date('2013-03-17T00:00:00Z'),
      config: LEGACY_SHA1,
    });
    const verdict = await verifyManifestSignature(input({ clearsigned }));
    expect(verdict).toMatchObject({ ok: true, hashAlgorithm: 'SHA1', via: ['clearsigned'] });
  });

  it('rejects a SHA-1 signature made on or after the cutoff', async () => {
    const detachedSignature = await signDetached(rsa, MANIFEST, {
      date: new Date('2018-01-01T00:00:00Z'),
      config: LEGACY_SHA1,
    });
    const verdict = await verifyManifestSignature(input({ detachedSignature }));
    expect(verdict).toMatchObject({ ok: false, reason: 'weak-hash-after-cutoff' });
  });

  it('rejects an MD5 signature whatever its date', async () => {
    const detachedSignature = await signDetached(md5Rsa, MANIFEST, {
      date: new Date('2014-01-01T00:00:00Z'),
      config: LEGACY_MD5,
    });
    const verdict = await verifyManifestSignature(input({ detachedSignature }));
    expect(verdict).toMatchObject({ ok: false, reason: 'weak-hash-after-cutoff' });
  });
});

describe('verifyManifestSignature: key validity at signing time', () => {
  it('accepts a signature made while a since-expired key was valid', async () => {
    const detachedSignature = await signDetached(expiring, MANIFEST, {
      date: new Date('2015-06-01T00:00:00Z'),
    });
    const verdict = await verifyManifestSignature(input({ detachedSignature }));
    expect(verdict).toMatchObject({ ok: true, signer: fingerprintOf(expiring) });
  });

  it('rejects a signature made after the key expired', async () => {
    const detachedSignature = await signDetached(expiringUnbounded, MANIFEST, {
      date: new Date('2016-06-01T00:00:00Z'),
    });
    const verdict = await verifyManifestSignature(input({ detachedSignature }));
    expect(verdict).toMatchObject({ ok: false, reason: 'key-expired-at-signing' });
  });
});
