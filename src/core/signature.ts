/**
 * Verifying the OpenPGP signatures of a release manifest against the trusted release keys.
 *
 * Contract: `verifyManifestSignature` never throws; every failure is a verdict with a reason.
 * - At least one form (detached `.sig`, clearsigned `.asc`) must be given, and every form
 *   given must verify: a good `.asc` does not excuse a bad `.sig`. Within a form, every
 *   signature packet must verify (as `gpg --verify` demands).
 * - A signature is judged at the time it was made: openpgp gets the signature's creation
 *   time as `date`, so a key that expired later still verifies old releases, while a
 *   signature made after its key expired fails. Signatures dated more than 24 h after
 *   `now` fail outright.
 * - Signing subkeys of a trusted key count; the verdict names the primary fingerprint, and
 *   states the signing key's creation and expiry as its key material has them. Whether the
 *   signature belongs to the release it is served for is manifest-binding.ts's question.
 * - SHA-1 is accepted only for signatures made before `sha1Cutoff` (SHA1_SIGNATURE_CUTOFF),
 *   through a per-call openpgp config (the global config is never touched). MD5 and
 *   RIPEMD-160 are never accepted.
 * - The clearsigned text must be the manifest: equal after the clearsign canonicalisation
 *   (line ends, trailing spaces and tabs, one final newline); any other difference fails.
 */
import {
  createMessage,
  enums,
  PacketList,
  readCleartextMessage,
  readSignature,
  Signature,
  SignaturePacket,
  verify,
  type Message,
  type PartialConfig,
  type PublicKey,
} from 'openpgp';
import { err, ok, type Result } from './result';
import { primaryFingerprint } from './trust-set';

/** Where a signature came from: `SHASUMS256.txt.sig` or `SHASUMS256.txt.asc`. */
export type SignatureForm = 'detached' | 'clearsigned';

export type SignatureFailureReason =
  | 'missing'
  | 'malformed'
  | 'unknown-key'
  | 'bad-signature'
  | 'clearsigned-text-mismatch'
  | 'weak-hash-after-cutoff'
  | 'key-expired-at-signing'
  | 'signed-in-future';

/** The outcome of judging a manifest's signatures. `detail` is for humans and logs. */
export type SignatureVerdict =
  | {
      readonly ok: true;
      /** Primary-key fingerprint of the signer (40 hex, uppercase), even for a subkey. */
      readonly signer: string;
      /** Key ID (16 hex, uppercase) of the key or subkey that made the signature. */
      readonly signingKeyId: string;
      readonly signedAt: Date;
      /** As gpg names it, e.g. `SHA256`, `SHA1`. */
      readonly hashAlgorithm: string;
      /** Creation of the key or subkey that signed, from the key material. */
      readonly signingKeyCreatedAt: Date;
      /**
       * When that key stops being valid (its own expiry or its primary key's, whichever is
       * first), from the key material; null when it never expires.
       */
      readonly signingKeyExpiresAt: Date | null;
      /** The forms that were given, all of which verified. */
      readonly via: readonly SignatureForm[];
    }
  | { readonly ok: false; readonly reason: SignatureFailureReason; readonly detail: string };

export interface VerifyManifestSignatureInput {
  /** The manifest as served (`SHASUMS256.txt`); the detached signature covers its UTF-8 bytes. */
  readonly manifestText: string;
  /** `SHASUMS256.txt.sig`, binary (armored is accepted too); undefined when not served. */
  readonly detachedSignature?: Uint8Array;
  /** `SHASUMS256.txt.asc`; undefined when not served. */
  readonly clearsigned?: string;
  readonly trustedKeys: readonly PublicKey[];
  /** SHA-1 signatures made on or after this time are rejected. */
  readonly sha1Cutoff: Date;
  readonly now: Date;
}

interface GoodSignature {
  readonly signer: string;
  readonly signingKeyId: string;
  readonly signedAt: Date;
  readonly hashAlgorithm: string;
  readonly signingKeyCreatedAt: Date;
  readonly signingKeyExpiresAt: Date | null;
}

interface Failure {
  readonly reason: Exclude<SignatureFailureReason, 'missing'>;
  readonly detail: string;
}

type Judged = Result<GoodSignature, Failure>;

/** Clock skew we forgive between the signer's machine and ours. */
const FUTURE_TOLERANCE_MS = 24 * 60 * 60 * 1000;
const ARMORED_SIGNATURE = '-----BEGIN PGP SIGNATURE-----';

export async function verifyManifestSignature(
  input: VerifyManifestSignatureInput,
): Promise<SignatureVerdict> {
  const checks: [SignatureForm, () => Promise<Judged>][] = [];
  const { detachedSignature, clearsigned } = input;
  if (detachedSignature !== undefined) {
    checks.push(['detached', () => verifyDetached(detachedSignature, input)]);
  }
  if (clearsigned !== undefined) {
    checks.push(['clearsigned', () => verifyClearsigned(clearsigned, input)]);
  }
  if (checks.length === 0) {
    return {
      ok: false,
      reason: 'missing',
      detail: 'neither a detached (.sig) nor a clearsigned (.asc) signature was given',
    };
  }

  const good: GoodSignature[] = [];
  for (const [form, check] of checks) {
    const judged = await check().catch((cause: unknown): Judged =>
      failure('malformed', `unexpected error: ${messageOf(cause)}`),
    );
    if (!judged.ok) {
      return { ok: false, reason: judged.error.reason, detail: `${form}: ${judged.error.detail}` };
    }
    good.push(judged.value);
  }
  const [first] = good;
  if (first === undefined) {
    return { ok: false, reason: 'missing', detail: 'no signature was judged' };
  }
  return { ok: true, ...first, via: checks.map(([form]) => form) };
}

async function verifyDetached(
  bytes: Uint8Array,
  input: VerifyManifestSignatureInput,
): Promise<Judged> {
  if (bytes.byteLength === 0) return failure('malformed', 'the signature is empty');
  let signature: Signature;
  try {
    const head = new TextDecoder().decode(bytes.subarray(0, 64)).trimStart();
    signature = head.startsWith(ARMORED_SIGNATURE)
      ? await readSignature({ armoredSignature: new TextDecoder().decode(bytes) })
      : await readSignature({ binarySignature: bytes });
  } catch (cause) {
    return failure('malformed', `not an OpenPGP signature (${messageOf(cause)})`);
  }
  const data = new TextEncoder().encode(input.manifestText);
  return judgeSignature(signature, () => createMessage({ binary: data }), input);
}

async function verifyClearsigned(
  text: string,
  input: VerifyManifestSignatureInput,
): Promise<Judged> {
  let signedText: string;
  let signature: unknown;
  try {
    const message = await readCleartextMessage({ cleartextMessage: text });
    signedText = message.getText();
    // Not in openpgp's type declarations, but the documented constructor argument.
    signature = Reflect.get(message, 'signature');
  } catch (cause) {
    return failure('malformed', `not a clearsigned message (${messageOf(cause)})`);
  }
  if (!(signature instanceof Signature)) return failure('malformed', 'no signature block');

  // getText() turned the canonical CRLF line ends into LF; the signature covers CRLF.
  const canonical = signedText.replace(/\n/g, '\r\n');
  const judged = await judgeSignature(signature, () => createMessage({ text: canonical }), input);
  if (!judged.ok) return judged;

  const mismatch = firstDifferentLine(
    normaliseCleartext(signedText),
    normaliseCleartext(input.manifestText),
  );
  if (mismatch !== undefined) {
    return failure(
      'clearsigned-text-mismatch',
      `the signed text differs from the manifest from line ${mismatch}`,
    );
  }
  return judged;
}

async function judgeSignature(
  signature: Signature,
  createData: () => Promise<Message<string | Uint8Array>>,
  input: VerifyManifestSignatureInput,
): Promise<Judged> {
  const packets = signature.packets.filter((packet) => packet instanceof SignaturePacket);
  const [head, ...rest] = packets;
  if (head === undefined) return failure('malformed', 'no signature packet');
  const first = await judgePacket(head, createData, input);
  if (!first.ok) return first;
  for (const packet of rest) {
    const judged = await judgePacket(packet, createData, input);
    if (!judged.ok) return judged;
  }
  return first;
}

async function judgePacket(
  packet: SignaturePacket,
  createData: () => Promise<Message<string | Uint8Array>>,
  input: VerifyManifestSignatureInput,
): Promise<Judged> {
  const signedAt = packet.created;
  if (signedAt === null) return failure('malformed', 'the signature has no creation time');
  if (
    packet.signatureType !== enums.signature.binary &&
    packet.signatureType !== enums.signature.text
  ) {
    return failure(
      'malformed',
      `signature type ${String(packet.signatureType)} does not sign a document`,
    );
  }
  const signingKeyId = packet.issuerKeyID.toHex().toUpperCase();
  const key = input.trustedKeys.find(
    (candidate) => candidate.getKeys(packet.issuerKeyID).length > 0,
  );
  if (key === undefined) {
    return failure(
      'unknown-key',
      `made by key ID ${signingKeyId}, which is not a trusted release key`,
    );
  }
  if (signedAt.getTime() > input.now.getTime() + FUTURE_TOLERANCE_MS) {
    return failure(
      'signed-in-future',
      `made at ${signedAt.toISOString()}, more than 24 h after ${input.now.toISOString()}`,
    );
  }
  const hashAlgorithm = hashName(packet.hashAlgorithm);
  const config = hashPolicyConfig(packet.hashAlgorithm, hashAlgorithm, signedAt, input.sha1Cutoff);
  if (!config.ok) return config;

  try {
    const single = new PacketList<SignaturePacket>();
    single.push(packet);
    const result = await verify({
      message: await createData(),
      signature: new Signature(single),
      verificationKeys: [key],
      date: signedAt,
      ...(config.value !== undefined && { config: config.value }),
    });
    const [verification] = result.signatures;
    if (verification === undefined) {
      return failure('malformed', 'openpgp found no signature to check');
    }
    await verification.verified;
  } catch (cause) {
    return failure(
      /key is expired/i.test(messageOf(cause)) ? 'key-expired-at-signing' : 'bad-signature',
      messageOf(cause),
    );
  }
  const lifetime = await keyLifetime(key, packet);
  return ok({
    signer: primaryFingerprint(key),
    signingKeyId,
    signedAt,
    hashAlgorithm,
    ...lifetime,
  });
}

/**
 * The signing key's lifetime as its key material states it. Read after the signature
 * verified, so the key is known to be valid at the signature's date.
 */
async function keyLifetime(
  key: PublicKey,
  packet: SignaturePacket,
): Promise<Pick<GoodSignature, 'signingKeyCreatedAt' | 'signingKeyExpiresAt'>> {
  const signingKey = key.getKeys(packet.issuerKeyID)[0] ?? key;
  const at = packet.created ?? undefined;
  // Facts for humans: a key whose expiry cannot be read is not a bad signature.
  const expiry = (read: () => Promise<Date | number | null>) => read().catch(() => null);
  const ends = [await expiry(() => key.getExpirationTime())];
  if (signingKey !== key) ends.push(await expiry(() => signingKey.getExpirationTime(at)));
  const finite = ends.filter((end): end is Date => end instanceof Date);
  const first = finite.sort((a, b) => a.getTime() - b.getTime())[0];
  return { signingKeyCreatedAt: signingKey.getCreationTime(), signingKeyExpiresAt: first ?? null };
}

/**
 * The openpgp config for this signature's hash, or the reason it is refused. SHA-1 is let
 * through only before the cutoff, by narrowing the per-call reject list to MD5 and RIPEMD.
 */
function hashPolicyConfig(
  hash: enums.hash | null,
  name: string,
  signedAt: Date,
  sha1Cutoff: Date,
): Result<PartialConfig | undefined, Failure> {
  if (hash === enums.hash.md5 || hash === enums.hash.ripemd) {
    return err({
      reason: 'weak-hash-after-cutoff',
      detail: `${name} signatures are never accepted`,
    });
  }
  if (hash !== enums.hash.sha1) return ok(undefined);
  if (signedAt.getTime() >= sha1Cutoff.getTime()) {
    return err({
      reason: 'weak-hash-after-cutoff',
      detail: `SHA-1 signature made at ${signedAt.toISOString()}, not before the cutoff ${sha1Cutoff.toISOString()}`,
    });
  }
  return ok({ rejectMessageHashAlgorithms: new Set([enums.hash.md5, enums.hash.ripemd]) });
}

function hashName(hash: enums.hash | null): string {
  if (hash === null) return 'UNKNOWN';
  try {
    return enums.read(enums.hash, hash).toUpperCase();
  } catch {
    return `UNKNOWN(${hash})`;
  }
}

/**
 * The clearsign canonical form, compared line by line: LF line ends, no trailing spaces,
 * tabs or CRs, and no final newline (gpg leaves it out of the signed text, openpgp keeps
 * it). A loop rather than a regex: `/[ \t]+$/` is quadratic on long runs of spaces.
 */
function normaliseCleartext(text: string): string[] {
  const lines = text.split('\n').map(trimLineEnd);
  if (lines.at(-1) === '') lines.pop();
  return lines;
}

function trimLineEnd(line: string): string {
  let end = line.length;
  while (end > 0 && (line[end - 1] === ' ' || line[end - 1] === '\t' || line[end - 1] === '\r')) {
    end -= 1;
  }
  return line.slice(0, end);
}

/** 1-based number of the first line where the two differ, or undefined when equal. */
function firstDifferentLine(a: readonly string[], b: readonly string[]): number | undefined {
  const length = Math.max(a.length, b.length);
  for (let index = 0; index < length; index++) {
    if (a[index] !== b[index]) return index + 1;
  }
  return undefined;
}

function failure(reason: Failure['reason'], detail: string): Judged {
  return err({ reason, detail });
}

function messageOf(cause: unknown): string {
  return cause instanceof Error ? cause.message : String(cause);
}
