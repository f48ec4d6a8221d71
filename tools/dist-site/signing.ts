/**
 * Keys and signatures: manifests rendered and signed the way the release team's gpg does it
 * (a binary detached `.sig` and a clearsigned `.asc`), key generation, and the one-hash edit
 * the manifest attacks make.
 */
import * as openpgp from 'openpgp';
import type { DistSiteKey } from './types.ts';

/** Who signs the demo manifests (the trusted key) and the untrusted ones. */
export const DEMO_USER_ID = { name: 'Demo Releaser', email: 'demo@example.invalid' };
export const OTHER_USER_ID = { name: 'Untrusted Signer', email: 'untrusted@example.invalid' };

/** SHASUMS256.txt with both signature forms; `asc` carries its own copy of the text. */
export interface SignedManifest {
  readonly text: string;
  readonly sig: Uint8Array;
  readonly asc: string;
}

export interface CleanManifest extends SignedManifest {
  readonly hashes: ReadonlyMap<string, string>;
}

export function renderManifest(hashes: ReadonlyMap<string, string>): string {
  const files = [...hashes.keys()].sort();
  return files.map((file) => `${hashes.get(file)}  ${file}\n`).join('');
}

/** Replaces the first SHA-256 in `text` by another (each hex digit moved on by one). */
export function alterFirstHash(text: string): string {
  return text.replace(/[0-9a-f]{64}/, (hash) =>
    [...hash].map((digit) => ((parseInt(digit, 16) + 1) % 16).toString(16)).join(''),
  );
}

/**
 * Signs like the release team's gpg: a binary detached signature over the file's bytes,
 * and a clearsigned copy whose signed text is the file without its final newline.
 */
export async function signManifest(
  text: string,
  key: openpgp.PrivateKey,
  date: Date,
): Promise<SignedManifest> {
  const signingDate = new Date(Math.max(date.getTime(), key.getCreationTime().getTime()));
  const sig = await openpgp.sign({
    message: await openpgp.createMessage({ binary: new TextEncoder().encode(text) }),
    signingKeys: key,
    detached: true,
    format: 'binary',
    date: signingDate,
  });
  const asc = await openpgp.sign({
    message: await openpgp.createCleartextMessage({ text: text.replace(/\n$/, '') }),
    signingKeys: key,
    date: signingDate,
  });
  // openpgp writes the clear text with CRLF; gpg on the release machines writes LF.
  return { text, sig, asc: asc.replace(/\r\n/g, '\n') };
}

/** A fresh ed25519 key pair created at `date` (signatures cannot predate it). */
export async function generateKey(
  userID: { name: string; email: string },
  date: Date,
): Promise<DistSiteKey> {
  const pair = await openpgp.generateKey({
    type: 'ecc',
    curve: 'curve25519Legacy',
    userIDs: [userID],
    date,
    format: 'armored',
  });
  return { privateKeyArmored: pair.privateKey, publicKeyArmored: pair.publicKey };
}

export function readPrivateKey(key: DistSiteKey): Promise<openpgp.PrivateKey> {
  return openpgp.readPrivateKey({ armoredKey: key.privateKeyArmored });
}
