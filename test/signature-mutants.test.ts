/**
 * Signature verification: cases StrykerJS showed no test looked at (docs/reliability.md,
 * "Mutation testing"). Every one is a signature the monitor must refuse, or a real form it
 * must accept: a second signature packet by an untrusted key behind a good one, a signature
 * of a type that signs no document, RIPEMD-160, SHA-1 made at the cutoff itself, the 24 h
 * clock-skew edge, an armored `.sig` with leading blank lines.
 */
import {
  config as openpgpDefaults,
  createCleartextMessage,
  createMessage,
  enums,
  PacketList,
  Signature,
  SignaturePacket,
  sign,
  type PartialConfig,
} from 'openpgp';
import { beforeAll, describe, expect, it } from 'vitest';
import { isPinnedFingerprint, PINNED_RELEASE_KEY_FINGERPRINTS } from '../src/core/release-keys';
import { verifyManifestSignature, type VerifyManifestSignatureInput } from '../src/core/signature';
import { DAY_MS, newKey, NOW, SHA1_CUTOFF, SIGNED_AT, type TestKey } from './signature-fixtures';
const MANIFEST = `${'a1'.repeat(32)}  node-v24.0.0-linux-x64.tar.xz\n${'b2'.repeat(32)}  node-v24.0.0.tar.gz\n`;

const LEGACY = (hash: enums.hash): PartialConfig => ({
  preferredHashAlgorithm: hash,
  nonDeterministicSignaturesViaNotation: false,
  rejectHashAlgorithms: new Set(),
});

let trusted: TestKey;
let stranger: TestKey;
let sha1Rsa: TestKey;
let ripemdRsa: TestKey;

/** Every key here was made in 2013, before the SHA-1 cutoff. */
const KEY_DATE = new Date('2013-01-01T00:00:00Z');

beforeAll(async () => {
  [trusted, stranger, sha1Rsa, ripemdRsa] = await Promise.all([
    newKey({ type: 'curve25519', date: KEY_DATE }),
    newKey({ type: 'curve25519', date: KEY_DATE }),
    newKey({ type: 'rsa', date: KEY_DATE, config: LEGACY(enums.hash.sha1) }),
    newKey({ type: 'rsa', date: KEY_DATE, config: LEGACY(enums.hash.ripemd) }),
  ]);
});

async function signDetached(
  keys: readonly TestKey[],
  options: { date?: Date; config?: PartialConfig; text?: string } = {},
): Promise<Uint8Array> {
  return sign({
    message: await createMessage({ binary: new TextEncoder().encode(options.text ?? MANIFEST) }),
    signingKeys: keys.map((key) => key.privateKey),
    detached: true,
    format: 'binary',
    date: options.date ?? SIGNED_AT,
    ...(options.config && { config: options.config }),
  });
}

function input(overrides: Partial<VerifyManifestSignatureInput>): VerifyManifestSignatureInput {
  return {
    manifestText: MANIFEST,
    trustedKeys: [trusted, sha1Rsa, ripemdRsa].map((key) => key.publicKey),
    sha1Cutoff: SHA1_CUTOFF,
    now: NOW,
    ...overrides,
  };
}

describe('verifyManifestSignature: every packet of a form must verify', () => {
  it('refuses a good signature followed by one from an untrusted key', async () => {
    // openpgp writes the packets in the order of the signing keys: the good one first.
    const detachedSignature = await signDetached([trusted, stranger]);
    const verdict = await verifyManifestSignature(input({ detachedSignature }));
    expect(verdict).toMatchObject({ ok: false, reason: 'unknown-key' });
  });

  it('refuses a good signature followed by one over other bytes', async () => {
    const good = await signDetached([trusted]);
    const other = await signDetached([trusted], { text: `${MANIFEST}# more\n` });
    const detachedSignature = new Uint8Array([...good, ...other]);
    const verdict = await verifyManifestSignature(input({ detachedSignature }));
    expect(verdict).toMatchObject({ ok: false, reason: 'bad-signature' });
  });
});

describe('verifyManifestSignature: signatures that sign no document', () => {
  it('refuses a standalone signature (type 0x02) by a trusted key as malformed', async () => {
    // A standalone signature covers no data: were it judged, one such signature by a release
    // key would vouch for any manifest at all.
    const packet = new SignaturePacket();
    packet.signatureType = enums.signature.standalone;
    packet.publicKeyAlgorithm = trusted.privateKey.keyPacket.algorithm;
    packet.hashAlgorithm = enums.hash.sha256;
    // openpgp's declarations omit the config argument that sign() reads at run time.
    const signPacket = packet.sign.bind(packet) as (...args: unknown[]) => Promise<void>;
    await signPacket(trusted.privateKey.keyPacket, {}, SIGNED_AT, false, openpgpDefaults);
    const packets = new PacketList<SignaturePacket>();
    packets.push(packet);
    const detachedSignature = new Signature(packets).write() as Uint8Array;
    const verdict = await verifyManifestSignature(input({ detachedSignature }));
    expect(verdict).toMatchObject({ ok: false, reason: 'malformed' });
  });
});

describe('verifyManifestSignature: weak hashes', () => {
  it('refuses RIPEMD-160 whatever the date, for its hash and not as a bad signature', async () => {
    const detachedSignature = await signDetached([ripemdRsa], {
      date: new Date('2014-01-01T00:00:00Z'),
      config: LEGACY(enums.hash.ripemd),
    });
    const verdict = await verifyManifestSignature(input({ detachedSignature }));
    expect(verdict).toMatchObject({ ok: false, reason: 'weak-hash-after-cutoff' });
  });

  it('refuses SHA-1 made at the cutoff itself, and accepts it one second before', async () => {
    const config = LEGACY(enums.hash.sha1);
    const atCutoff = await signDetached([sha1Rsa], { date: SHA1_CUTOFF, config });
    expect(await verifyManifestSignature(input({ detachedSignature: atCutoff }))).toMatchObject({
      ok: false,
      reason: 'weak-hash-after-cutoff',
    });
    const before = await signDetached([sha1Rsa], {
      date: new Date(SHA1_CUTOFF.getTime() - 1000),
      config,
    });
    expect(await verifyManifestSignature(input({ detachedSignature: before }))).toMatchObject({
      ok: true,
      hashAlgorithm: 'SHA1',
    });
  });
});

describe('verifyManifestSignature: the clock-skew allowance', () => {
  it('accepts a signature dated exactly 24 h after now and refuses one a second later', async () => {
    const edge = new Date(NOW.getTime() + DAY_MS);
    const atEdge = await signDetached([trusted], { date: edge });
    expect(await verifyManifestSignature(input({ detachedSignature: atEdge }))).toMatchObject({
      ok: true,
      signedAt: edge,
    });
    const past = await signDetached([trusted], { date: new Date(edge.getTime() + 1000) });
    expect(await verifyManifestSignature(input({ detachedSignature: past }))).toMatchObject({
      ok: false,
      reason: 'signed-in-future',
    });
  });
});

describe('verifyManifestSignature: forms as served', () => {
  it('accepts an armored .sig that starts with blank lines', async () => {
    const armored = await sign({
      message: await createMessage({ binary: new TextEncoder().encode(MANIFEST) }),
      signingKeys: trusted.privateKey,
      detached: true,
      date: SIGNED_AT,
    });
    const detachedSignature = new TextEncoder().encode(`\n\n${armored}`);
    expect(await verifyManifestSignature(input({ detachedSignature }))).toMatchObject({
      ok: true,
      via: ['detached'],
    });
  });

  it('calls a clearsigned block whose text was edited a bad signature first', async () => {
    const clearsigned = await sign({
      message: await createCleartextMessage({ text: MANIFEST }),
      signingKeys: trusted.privateKey,
      date: SIGNED_AT,
    });
    const edited = clearsigned.replace('node-v24.0.0.tar.gz', 'node-v24.0.1.tar.gz');
    const verdict = await verifyManifestSignature(
      input({ clearsigned: edited, manifestText: MANIFEST }),
    );
    expect(verdict).toMatchObject({ ok: false, reason: 'bad-signature' });
  });
});

describe('verifyManifestSignature: every packet, not the first two', () => {
  it('refuses two good signatures followed by one from an untrusted key', async () => {
    const detachedSignature = await signDetached([trusted, trusted, stranger]);
    const verdict = await verifyManifestSignature(input({ detachedSignature }));
    expect(verdict).toMatchObject({ ok: false, reason: 'unknown-key' });
  });
});

describe('verifyManifestSignature: what an accepted signature reports', () => {
  it('names the signing key ID as gpg prints it, upper-case hex', async () => {
    const detachedSignature = await signDetached([trusted]);
    const verdict = await verifyManifestSignature(input({ detachedSignature }));
    expect(verdict).toMatchObject({
      ok: true,
      signingKeyId: trusted.publicKey.getKeyID().toHex().toUpperCase(),
    });
    expect(verdict.ok && verdict.signingKeyId).toMatch(/^[0-9A-F]{16}$/);
  });

  it('names the first line where a clearsigned text and the manifest part', async () => {
    const clearsigned = await sign({
      message: await createCleartextMessage({ text: MANIFEST }),
      signingKeys: trusted.privateKey,
      date: SIGNED_AT,
    });
    const other = MANIFEST.replace('node-v24.0.0.tar.gz', 'node-v24.0.1.tar.gz');
    expect(
      await verifyManifestSignature(input({ clearsigned, manifestText: other })),
    ).toMatchObject({
      ok: false,
      reason: 'clearsigned-text-mismatch',
      detail: 'clearsigned: the signed text differs from the manifest from line 2',
    });
  });
});

describe('isPinnedFingerprint', () => {
  it('knows a pinned release key in any case, and nothing else', () => {
    const [pinned] = PINNED_RELEASE_KEY_FINGERPRINTS;
    expect(pinned).toMatch(/^[0-9A-F]{40}$/);
    expect(isPinnedFingerprint(pinned as string)).toBe(true);
    expect(isPinnedFingerprint((pinned as string).toLowerCase())).toBe(true);
    expect(isPinnedFingerprint('0'.repeat(40))).toBe(false);
    expect(isPinnedFingerprint('')).toBe(false);
  });
});
