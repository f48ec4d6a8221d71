/**
 * Loads the release keys that manifest signatures are judged against.
 *
 * With the RELEASE_KEYS secret set, its keys are the whole trust set (a mirror or a test
 * site signs with its own keys): no pin filtering. Otherwise each pinned fingerprint is
 * looked up in the isolate's memory, then in KV (`release-key:<FPR>`, kept 7 days), then
 * fetched from RELEASE_KEYS_URL (10 s timeout, 256 KiB cap). A fetched or cached key is
 * used only when its primary fingerprint is the pinned one. Never throws: what could not
 * be loaded is listed in `unavailable` (a release-keys-unavailable finding for the caller).
 */
import type { PublicKey } from 'openpgp';
import { PINNED_RELEASE_KEY_FINGERPRINTS } from '../core/release-keys';
import { parseArmoredKeys, primaryFingerprint } from '../core/trust-set';
import { readCapped } from './read-capped';

export interface LoadTrustedKeysDeps {
  /** The RELEASE_KEYS secret: armored public keys that replace the pinned trust set. */
  readonly releaseKeysSecret?: string;
  /** RELEASE_KEYS_URL, with `{fingerprint}` where the uppercase fingerprint goes. */
  readonly keyUrlTemplate: string;
  readonly fetch: typeof fetch;
  readonly kv: KVNamespace;
  readonly now: Date;
  /** Defaults to every pinned Node.js release key; tests pin their own. */
  readonly pinnedFingerprints?: readonly string[];
  /** Defaults to one cache per isolate; tests pass their own. */
  readonly memoryCache?: ReleaseKeyMemoryCache;
}

export interface TrustedKeys {
  readonly keys: PublicKey[];
  readonly source: 'secret' | 'pinned';
  /** Fingerprints whose key could not be loaded (`RELEASE_KEYS` when the secret is unusable). */
  readonly unavailable: string[];
  /** Why each of `unavailable` failed, for the finding's evidence. Never holds key material. */
  readonly failures: { readonly fingerprint: string; readonly reason: string }[];
}

/** Parsed keys kept for the life of an isolate, by fingerprint. */
export type ReleaseKeyMemoryCache = Map<
  string,
  { readonly key: PublicKey; readonly expiresAt: number }
>;

export const RELEASE_KEY_CACHE_SECONDS = 7 * 24 * 60 * 60;
export const RELEASE_KEY_FETCH_TIMEOUT_MS = 10_000;
export const RELEASE_KEY_MAX_BYTES = 256 * 1024;

const isolateCache: ReleaseKeyMemoryCache = new Map();

export function releaseKeyKvKey(fingerprint: string): string {
  return `release-key:${fingerprint}`;
}

export async function loadTrustedKeys(deps: LoadTrustedKeysDeps): Promise<TrustedKeys> {
  const secret = deps.releaseKeysSecret?.trim();
  if (secret) {
    const parsed = await parseArmoredKeys(secret);
    if (parsed.ok) return { keys: parsed.value, source: 'secret', unavailable: [], failures: [] };
    return {
      keys: [],
      source: 'secret',
      unavailable: ['RELEASE_KEYS'],
      failures: [{ fingerprint: 'RELEASE_KEYS', reason: parsed.error }],
    };
  }

  const pinned = (deps.pinnedFingerprints ?? PINNED_RELEASE_KEY_FINGERPRINTS).map((fingerprint) =>
    fingerprint.toUpperCase(),
  );
  const loaded = await Promise.all(pinned.map((fingerprint) => loadPinnedKey(fingerprint, deps)));
  const keys: PublicKey[] = [];
  const failures: TrustedKeys['failures'] = [];
  for (const [index, result] of loaded.entries()) {
    if (typeof result !== 'string') keys.push(result);
    else failures.push({ fingerprint: pinned[index] ?? '', reason: result });
  }
  return {
    keys,
    source: 'pinned',
    unavailable: failures.map((failure) => failure.fingerprint),
    failures,
  };
}

/** The key, or why it could not be loaded. */
async function loadPinnedKey(
  fingerprint: string,
  deps: LoadTrustedKeysDeps,
): Promise<PublicKey | string> {
  const memory = deps.memoryCache ?? isolateCache;
  const now = deps.now.getTime();
  const remembered = memory.get(fingerprint);
  if (remembered !== undefined && remembered.expiresAt > now) return remembered.key;

  const kvKey = releaseKeyKvKey(fingerprint);
  const cached = await deps.kv.get(kvKey).catch(() => null);
  if (cached !== null) {
    const key = await pinnedKeyFrom(cached, fingerprint);
    if (typeof key !== 'string') {
      memory.set(fingerprint, { key, expiresAt: now + RELEASE_KEY_CACHE_SECONDS * 1000 });
      return key;
    }
    // A cache entry that no longer parses or matches is ignored and replaced below.
  }

  const armored = await fetchKeyText(
    deps.keyUrlTemplate.replaceAll('{fingerprint}', fingerprint),
    deps.fetch,
  );
  if (!armored.ok) return armored.reason;
  const key = await pinnedKeyFrom(armored.text, fingerprint);
  if (typeof key === 'string') return key;
  memory.set(fingerprint, { key, expiresAt: now + RELEASE_KEY_CACHE_SECONDS * 1000 });
  // Caching is an optimisation: a KV failure must not cost us the key we already have.
  await deps.kv
    .put(kvKey, armored.text, { expirationTtl: RELEASE_KEY_CACHE_SECONDS })
    .catch(() => undefined);
  return key;
}

/** The key in `armored` whose primary fingerprint is `fingerprint`, or why there is none. */
async function pinnedKeyFrom(armored: string, fingerprint: string): Promise<PublicKey | string> {
  const parsed = await parseArmoredKeys(armored);
  if (!parsed.ok) return parsed.error;
  const key = parsed.value.find((candidate) => primaryFingerprint(candidate) === fingerprint);
  if (key !== undefined) return key;
  const served = parsed.value.map(primaryFingerprint).join(', ');
  return `the key served for ${fingerprint} has fingerprint ${served}`;
}

async function fetchKeyText(
  url: string,
  fetcher: typeof fetch,
): Promise<{ ok: true; text: string } | { ok: false; reason: string }> {
  try {
    const response = await fetcher(url, {
      redirect: 'follow',
      signal: AbortSignal.timeout(RELEASE_KEY_FETCH_TIMEOUT_MS),
    });
    if (!response.ok) {
      await response.body?.cancel();
      return { ok: false, reason: `HTTP ${response.status} from ${url}` };
    }
    const body = await readCapped(response, RELEASE_KEY_MAX_BYTES);
    if (!body.ok) {
      return { ok: false, reason: `key file at ${url} exceeds ${RELEASE_KEY_MAX_BYTES} bytes` };
    }
    return { ok: true, text: new TextDecoder().decode(body.value) };
  } catch (cause) {
    return {
      ok: false,
      reason: `fetching ${url} failed: ${cause instanceof Error ? cause.message : String(cause)}`,
    };
  }
}
