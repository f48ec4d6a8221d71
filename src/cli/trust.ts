/**
 * The keys a manifest's signature is judged against, loaded as the Worker loads them.
 *
 * `--keys <file>`: the file's armored keys are the whole trust set (like the RELEASE_KEYS
 * secret: a mirror or a test site signs with its own keys). Otherwise every pinned
 * release-key fingerprint (src/core/release-keys.ts) is fetched from the key URL template
 * by the Worker's own loader, which keeps a key only when its primary fingerprint is the
 * pinned one. Nothing is cached on disk.
 */
import { readFile, stat } from 'node:fs/promises';
import type { PublicKey } from 'openpgp';
import { loadTrustedKeys } from '../adapters/release-key-store';
import { RELEASE_KEYS } from '../core/release-keys';
import { err, ok, type Result } from '../core/result';
import { parseArmoredKeys, primaryFingerprint } from '../core/trust-set';
import type { Problem } from './problems';

export interface TrustSet {
  readonly keys: readonly PublicKey[];
  readonly source: 'keys-file' | 'pinned';
  /** Pinned keys whose material could not be loaded, and why. */
  readonly unavailable: readonly { readonly fingerprint: string; readonly reason: string }[];
  /** Who a fingerprint belongs to: the pinned owner, or the key's first user ID. */
  ownerOf(fingerprint: string): string | undefined;
}

export interface LoadTrustOptions {
  readonly keysFile?: string;
  readonly keysUrlTemplate: string;
  readonly userAgent?: string;
  readonly now: Date;
}

/** A key file larger than this is not a key file. */
const MAX_KEYS_FILE_BYTES = 4 * 1024 * 1024;

export async function loadTrustSet(options: LoadTrustOptions): Promise<Result<TrustSet, Problem>> {
  if (options.keysFile !== undefined) return loadKeysFile(options.keysFile);

  const loaded = await loadTrustedKeys({
    keyUrlTemplate: options.keysUrlTemplate,
    fetch: (input, init) =>
      fetch(input, {
        ...init,
        ...(options.userAgent !== undefined && { headers: { 'user-agent': options.userAgent } }),
      }),
    kv: NO_KV,
    now: options.now,
    memoryCache: new Map(),
  });
  if (loaded.keys.length === 0) {
    const [first] = loaded.failures;
    return err({
      code: 'keys-unavailable',
      subject: options.keysUrlTemplate,
      message:
        `No release key could be loaded from ${options.keysUrlTemplate}` +
        `${first ? ` (${first.reason})` : ''}. Check the network, or pass the keys with --keys <file>.`,
    });
  }
  return ok({
    keys: loaded.keys,
    source: 'pinned',
    unavailable: loaded.failures,
    ownerOf: ownerLookup(loaded.keys),
  });
}

async function loadKeysFile(path: string): Promise<Result<TrustSet, Problem>> {
  let text: string;
  try {
    const info = await stat(path);
    if (!info.isFile()) throw new Error('not a regular file');
    if (info.size > MAX_KEYS_FILE_BYTES)
      throw new Error(`larger than ${MAX_KEYS_FILE_BYTES} bytes`);
    text = await readFile(path, 'utf8');
  } catch (cause) {
    return err({
      code: 'file-unreadable',
      subject: path,
      message: `Cannot read the key file given with --keys: ${messageOf(cause)}.`,
    });
  }
  const parsed = await parseArmoredKeys(text);
  if (!parsed.ok) {
    return err({
      code: 'keys-unavailable',
      subject: path,
      message: `The key file given with --keys is not usable: ${parsed.error}.`,
    });
  }
  return ok({
    keys: parsed.value,
    source: 'keys-file',
    unavailable: [],
    ownerOf: ownerLookup(parsed.value),
  });
}

function ownerLookup(keys: readonly PublicKey[]): (fingerprint: string) => string | undefined {
  return (fingerprint) => {
    const wanted = fingerprint.toUpperCase();
    const pinned = RELEASE_KEYS.find((key) => key.fingerprint === wanted);
    if (pinned !== undefined) return pinned.owner;
    const key = keys.find((candidate) => primaryFingerprint(candidate) === wanted);
    return key?.getUserIDs()[0];
  };
}

/**
 * The Worker caches key material in KV; the CLI keeps nothing between runs (it writes
 * nothing unless asked), so its "KV" is always empty and forgets what it is given.
 */
const NO_KV = {
  get: async () => null,
  put: async () => undefined,
} as unknown as KVNamespace;

function messageOf(cause: unknown): string {
  if (cause instanceof Error && 'code' in cause && cause.code === 'ENOENT') return 'no such file';
  return cause instanceof Error ? cause.message : String(cause);
}
