/**
 * Turning armored key text into the set of keys a signature may be judged against.
 *
 * Contract: `parseArmoredKeys` reads every `PUBLIC KEY BLOCK` in the text (the RELEASE_KEYS
 * secret and some key files hold several, one after another) and fails as a whole when
 * any block does not parse, so a half-read trust set is never used silently. Private key
 * blocks are refused. `selectPinnedKeys` keeps a key only when its primary-key fingerprint
 * is pinned: a served key file cannot add a signer by shipping an extra key.
 */
import { readKeys, type PublicKey } from 'openpgp';
import { err, ok, type Result } from './result';

const PUBLIC_KEY_BLOCK =
  /-----BEGIN PGP PUBLIC KEY BLOCK-----[\s\S]*?-----END PGP PUBLIC KEY BLOCK-----/g;

export async function parseArmoredKeys(armored: string): Promise<Result<PublicKey[], string>> {
  if (armored.includes('PRIVATE KEY BLOCK')) {
    return err('the text holds a private key block; only public keys are accepted');
  }
  const blocks = armored.match(PUBLIC_KEY_BLOCK) ?? [];
  if (blocks.length === 0) return err('no armored public key block found');
  const keys: PublicKey[] = [];
  for (const [index, block] of blocks.entries()) {
    try {
      const read = await readKeys({ armoredKeys: block });
      keys.push(...read.map((key) => key.toPublic()));
    } catch (cause) {
      return err(
        `public key block ${index + 1} of ${blocks.length} does not parse: ${messageOf(cause)}`,
      );
    }
  }
  return ok(keys);
}

/** The primary-key fingerprint as the pins write it: 40 hex digits, uppercase. */
export function primaryFingerprint(key: PublicKey): string {
  return key.getFingerprint().toUpperCase();
}

export interface PinnedKeySelection {
  /** Keys whose primary fingerprint is pinned, first occurrence of each. */
  readonly trusted: PublicKey[];
  /** Primary fingerprints of the keys that are not pinned. */
  readonly rejected: string[];
}

export function selectPinnedKeys(
  keys: readonly PublicKey[],
  pinnedFingerprints: readonly string[],
): PinnedKeySelection {
  const pinned = new Set(pinnedFingerprints.map((fingerprint) => fingerprint.toUpperCase()));
  const seen = new Set<string>();
  const trusted: PublicKey[] = [];
  const rejected: string[] = [];
  for (const key of keys) {
    const fingerprint = primaryFingerprint(key);
    if (!pinned.has(fingerprint)) rejected.push(fingerprint);
    else if (!seen.has(fingerprint)) {
      seen.add(fingerprint);
      trusted.push(key);
    }
  }
  return { trusted, rejected };
}

function messageOf(cause: unknown): string {
  return cause instanceof Error ? cause.message : String(cause);
}
