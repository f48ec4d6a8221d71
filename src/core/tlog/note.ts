/**
 * C2SP signed-note: text signed by one or more keys, and the key forms of Go's
 * golang.org/x/mod/sumdb/note (`<name>+<key id hex>+<base64(type ‖ public key)>` for
 * verifiers, `PRIVATE+KEY+<name>+<key id hex>+<base64(type ‖ seed)>` for signers). Only
 * Ed25519 (signature type 0x01) is implemented, as the spec advises.
 *
 * Contract: pure (WebCrypto only). A note is refused whole when malformed (control
 * characters, no blank line before the signatures, a bad signature line, more than
 * MAX_SIGNATURES lines). Verification ignores signatures by unknown keys, fails when no
 * signature by the given key is present, and refuses the note when one by that key does
 * not verify.
 */
import { err, ok, type Result } from '../result.ts';
import { base64Decode, base64Encode, concatBytes, utf8Encode } from './encoding.ts';
import { sha256 } from './hash.ts';

export const ED25519_SIGNATURE_TYPE = 0x01;
/** Timestamped Ed25519 cosignatures (C2SP tlog-cosignature) use this type byte in key ids. */
export const COSIGNATURE_V1_TYPE = 0x04;
/** At least 16 must be accepted (signed-note); Go's reference accepts up to 100. */
export const MAX_SIGNATURES = 100;

const SIGNATURE_PREFIX = '\u2014 ';

export interface NoteSignature {
  readonly name: string;
  /** The key id: first four bytes of the signature line, big-endian. */
  readonly keyId: number;
  /** The signature bytes after the key id. */
  readonly signature: Uint8Array;
  /** The line's base64 exactly as written. */
  readonly base64: string;
}

export interface SignedNote {
  /** The note text, ending in a newline, without the blank line and the signatures. */
  readonly text: string;
  readonly signatures: readonly NoteSignature[];
}

export type NoteError =
  | { readonly kind: 'malformed'; readonly detail: string }
  | { readonly kind: 'not-signed'; readonly detail: string }
  | { readonly kind: 'invalid-signature'; readonly detail: string };

export type KeyError = { readonly kind: 'malformed-key'; readonly detail: string };

export interface VerifierKey {
  readonly name: string;
  readonly keyId: number;
  readonly type: number;
  readonly publicKey: Uint8Array;
  /** The key in its encoded form, `<name>+<key id>+<base64>`. */
  readonly encoded: string;
}

export interface SigningKey {
  readonly name: string;
  readonly keyId: number;
  /** The 32-byte Ed25519 seed. Never log it. */
  readonly seed: Uint8Array;
  readonly verifier: VerifierKey;
}

/** Key names: non-empty, no Unicode space (Go's unicode.IsSpace, NEL included), no `+`. */
export function isValidKeyName(name: string): boolean {
  return name !== '' && !/[\s\u0085+]/u.test(name) && name.isWellFormed();
}

/** SHA-256(name ‖ 0x0A ‖ type ‖ public key)[:4] as a big-endian uint32. */
export async function computeKeyId(
  name: string,
  type: number,
  publicKey: Uint8Array,
): Promise<number> {
  const digest = await sha256(
    concatBytes(utf8Encode(name), new Uint8Array([0x0a, type]), publicKey),
  );
  return new DataView(digest.buffer, digest.byteOffset, 4).getUint32(0);
}

const keyIdHex = (keyId: number): string => keyId.toString(16).padStart(8, '0');

/** Parses a signed note; signatures are read but not verified. */
export function parseSignedNote(message: string | Uint8Array): Result<SignedNote, NoteError> {
  let text: string;
  if (typeof message === 'string') {
    text = message;
  } else {
    try {
      text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(message);
    } catch {
      return malformed('not valid UTF-8');
    }
  }
  if (!text.isWellFormed()) return malformed('not valid UTF-8');
  if (/[\u0000-\u0009\u000b-\u001f]/.test(text)) return malformed('control characters');
  const split = text.lastIndexOf('\n\n');
  if (split < 0) return malformed('no blank line before the signatures');
  const body = text.slice(0, split + 1);
  const block = text.slice(split + 2);
  if (block === '' || !block.endsWith('\n')) return malformed('no signature lines');
  const lines = block.slice(0, -1).split('\n');
  if (lines.length > MAX_SIGNATURES) return malformed(`more than ${MAX_SIGNATURES} signatures`);
  const signatures: NoteSignature[] = [];
  for (const line of lines) {
    if (!line.startsWith(SIGNATURE_PREFIX)) return malformed('a signature line lacks "— "');
    const rest = line.slice(SIGNATURE_PREFIX.length);
    const space = rest.indexOf(' ');
    const name = space < 0 ? rest : rest.slice(0, space);
    const base64 = space < 0 ? '' : rest.slice(space + 1);
    const raw = base64Decode(base64);
    if (!isValidKeyName(name) || raw === undefined || raw.length < 5) {
      return malformed('a signature line is not "— <name> <base64>"');
    }
    signatures.push({
      name,
      keyId: new DataView(raw.buffer, raw.byteOffset, 4).getUint32(0),
      signature: raw.slice(4),
      base64,
    });
  }
  return ok({ text: body, signatures });
}

/** Parses `<name>+<key id hex>+<base64(0x01 ‖ 32-byte Ed25519 public key)>`. */
export async function parseVerifierKey(vkey: string): Promise<Result<VerifierKey, KeyError>> {
  const parts = chop(vkey.trim(), 2);
  if (!parts) return badKey('a verifier key is <name>+<key id>+<base64 key>');
  const [name = '', idHex = '', keyBase64 = ''] = parts;
  const raw = base64Decode(keyBase64);
  if (!isValidKeyName(name) || !/^[0-9a-f]{8}$/.test(idHex) || raw === undefined) {
    return badKey('a verifier key is <name>+<8 hex digits>+<base64 key>');
  }
  return verifierFromRaw(name, Number.parseInt(idHex, 16), raw);
}

async function verifierFromRaw(
  name: string,
  keyId: number,
  raw: Uint8Array,
): Promise<Result<VerifierKey, KeyError>> {
  const type = raw[0];
  const publicKey = raw.slice(1);
  if (type !== ED25519_SIGNATURE_TYPE) return badKey(`unsupported key type ${type ?? 'none'}`);
  if (publicKey.length !== 32) return badKey('an Ed25519 public key is 32 bytes');
  if ((await computeKeyId(name, type, publicKey)) !== keyId) {
    return badKey('the key id does not match the name and key');
  }
  return ok({
    name,
    keyId,
    type,
    publicKey,
    encoded: `${name}+${keyIdHex(keyId)}+${base64Encode(raw)}`,
  });
}

/** Parses `PRIVATE+KEY+<name>+<key id hex>+<base64(0x01 ‖ 32-byte seed)>`. */
export async function parsePrivateKey(skey: string): Promise<Result<SigningKey, KeyError>> {
  const parts = chop(skey.trim(), 4);
  if (!parts || parts[0] !== 'PRIVATE' || parts[1] !== 'KEY') {
    return badKey('a private key is PRIVATE+KEY+<name>+<key id>+<base64 key>');
  }
  const [, , name = '', idHex = '', keyBase64 = ''] = parts;
  const raw = base64Decode(keyBase64);
  if (!isValidKeyName(name) || !/^[0-9a-f]{8}$/.test(idHex) || raw === undefined) {
    return badKey('a private key is PRIVATE+KEY+<name>+<8 hex digits>+<base64 key>');
  }
  if (raw[0] !== ED25519_SIGNATURE_TYPE) return badKey(`unsupported key type ${raw[0] ?? 'none'}`);
  const seed = raw.slice(1);
  if (seed.length !== 32) return badKey('an Ed25519 private key is a 32-byte seed');
  const publicKey = await ed25519PublicKey(seed);
  const verifier = await verifierFromRaw(
    name,
    Number.parseInt(idHex, 16),
    concatBytes(new Uint8Array([ED25519_SIGNATURE_TYPE]), publicKey),
  );
  if (!verifier.ok) return badKey('the key id does not match the name and key');
  return ok({ name, keyId: verifier.value.keyId, seed, verifier: verifier.value });
}

/** A new Ed25519 key pair in Go's note.GenerateKey forms (throwaway keys for local runs). */
export async function generateNoteKey(
  name: string,
): Promise<{ readonly privateKey: string; readonly verifierKey: string }> {
  if (!isValidKeyName(name)) throw new RangeError('invalid key name');
  const seed = crypto.getRandomValues(new Uint8Array(32));
  const publicKey = await ed25519PublicKey(seed);
  const keyId = await computeKeyId(name, ED25519_SIGNATURE_TYPE, publicKey);
  const type = new Uint8Array([ED25519_SIGNATURE_TYPE]);
  return {
    privateKey: `PRIVATE+KEY+${name}+${keyIdHex(keyId)}+${base64Encode(concatBytes(type, seed))}`,
    verifierKey: `${name}+${keyIdHex(keyId)}+${base64Encode(concatBytes(type, publicKey))}`,
  };
}

/** Signs `text` (which must end in a newline) and returns the note with one signature. */
export async function signNote(text: string, key: SigningKey): Promise<string> {
  if (!text.endsWith('\n')) throw new RangeError('note text must end with a newline');
  const signature = await ed25519Sign(key.seed, utf8Encode(text));
  const keyId = new Uint8Array(4);
  new DataView(keyId.buffer).setUint32(0, key.keyId);
  return `${text}\n${SIGNATURE_PREFIX}${key.name} ${base64Encode(concatBytes(keyId, signature))}\n`;
}

/** Parses the note and checks it carries a valid signature by `key` (others are ignored). */
export async function verifyNote(
  message: string | Uint8Array,
  key: VerifierKey,
): Promise<Result<SignedNote, NoteError>> {
  const parsed = parseSignedNote(message);
  if (!parsed.ok) return parsed;
  const mine = parsed.value.signatures.filter(
    (signature) => signature.name === key.name && signature.keyId === key.keyId,
  );
  if (mine.length === 0) {
    return err({
      kind: 'not-signed',
      detail: `no signature by ${key.name}+${keyIdHex(key.keyId)}`,
    });
  }
  const publicKey = await crypto.subtle.importKey(
    'raw',
    key.publicKey,
    { name: 'Ed25519' },
    false,
    ['verify'],
  );
  const text = utf8Encode(parsed.value.text);
  for (const signature of mine) {
    const valid =
      signature.signature.length === 64 &&
      (await crypto.subtle.verify('Ed25519', publicKey, signature.signature, text));
    if (!valid) {
      return err({
        kind: 'invalid-signature',
        detail: `the signature by ${key.name}+${keyIdHex(key.keyId)} does not verify`,
      });
    }
  }
  return parsed;
}

/** PKCS #8 wrapping of an Ed25519 seed (RFC 8410), the form WebCrypto imports. */
function pkcs8(seed: Uint8Array): Uint8Array {
  const header = [0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70];
  return concatBytes(new Uint8Array([...header, 0x04, 0x22, 0x04, 0x20]), seed);
}

async function ed25519PublicKey(seed: Uint8Array): Promise<Uint8Array> {
  const key = await crypto.subtle.importKey('pkcs8', pkcs8(seed), { name: 'Ed25519' }, true, [
    'sign',
  ]);
  const jwk = (await crypto.subtle.exportKey('jwk', key)) as { readonly x?: string };
  const x = jwk.x ?? '';
  const publicKey = base64Decode(base64UrlToStandard(x));
  if (!publicKey || publicKey.length !== 32) throw new Error('Ed25519 key export failed');
  return publicKey;
}

async function ed25519Sign(seed: Uint8Array, message: Uint8Array): Promise<Uint8Array> {
  const key = await crypto.subtle.importKey('pkcs8', pkcs8(seed), { name: 'Ed25519' }, false, [
    'sign',
  ]);
  return new Uint8Array(await crypto.subtle.sign('Ed25519', key, message));
}

function base64UrlToStandard(value: string): string {
  const standard = value.replace(/-/g, '+').replace(/_/g, '/');
  return standard + '='.repeat((4 - (standard.length % 4)) % 4);
}

/** Splits at the first `count` plus signs (base64 may contain more), as Go's chop does. */
function chop(text: string, count: number): string[] | undefined {
  const parts: string[] = [];
  let rest = text;
  for (let cut = 0; cut < count; cut += 1) {
    const plus = rest.indexOf('+');
    if (plus < 0) return undefined;
    parts.push(rest.slice(0, plus));
    rest = rest.slice(plus + 1);
  }
  return [...parts, rest];
}

function malformed(detail: string): { readonly ok: false; readonly error: NoteError } {
  return err({ kind: 'malformed', detail });
}

function badKey(detail: string): { readonly ok: false; readonly error: KeyError } {
  return err({ kind: 'malformed-key', detail });
}
