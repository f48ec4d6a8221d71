import { env } from 'cloudflare:workers';
import { generateKey } from 'openpgp';
import { describe, expect, it, vi } from 'vitest';
import {
  loadTrustedKeys,
  releaseKeyKvKey,
  type LoadTrustedKeysDeps,
  type ReleaseKeyMemoryCache,
} from '../src/adapters/release-key-store';

const TEMPLATE = 'https://keys.test/{fingerprint}.asc';
const NOW = new Date('2026-07-01T00:00:00Z');

interface ArmoredKey {
  readonly fingerprint: string;
  readonly armored: string;
}

/** A fresh key per test, so KV entries and fingerprints never leak between tests. */
async function newArmoredKey(): Promise<ArmoredKey> {
  const { publicKey } = await generateKey({
    userIDs: [{ name: 'Test Releaser' }],
    type: 'curve25519',
    format: 'object',
  });
  return { fingerprint: publicKey.getFingerprint().toUpperCase(), armored: publicKey.armor() };
}

/** A fetch that serves `files` by URL and answers 404 to anything else. */
function fakeFetch(files: Record<string, string>) {
  return vi.fn<typeof fetch>(async (request) => {
    const url = request instanceof Request ? request.url : String(request);
    const body = files[url];
    return body === undefined ? new Response('Not Found', { status: 404 }) : new Response(body);
  });
}

function urlFor(fingerprint: string): string {
  return TEMPLATE.replace('{fingerprint}', fingerprint);
}

function deps(overrides: Partial<LoadTrustedKeysDeps>): LoadTrustedKeysDeps {
  return {
    keyUrlTemplate: TEMPLATE,
    fetch: fakeFetch({}),
    kv: env.PINS,
    now: NOW,
    memoryCache: new Map(),
    ...overrides,
  };
}

function fingerprints(keys: { getFingerprint(): string }[]): string[] {
  return keys.map((key) => key.getFingerprint().toUpperCase());
}

describe('loadTrustedKeys with the RELEASE_KEYS secret', () => {
  it('uses exactly the keys of the secret, unpinned, without fetching', async () => {
    const [a, b] = await Promise.all([newArmoredKey(), newArmoredKey()]);
    const fetcher = fakeFetch({});
    const loaded = await loadTrustedKeys(
      deps({
        releaseKeysSecret: `${a.armored}\n${b.armored}`,
        fetch: fetcher,
        pinnedFingerprints: [],
      }),
    );
    expect(loaded).toMatchObject({ source: 'secret', unavailable: [] });
    expect(fingerprints(loaded.keys)).toEqual([a.fingerprint, b.fingerprint]);
    expect(fetcher).not.toHaveBeenCalled();
  });

  it('reports an unparseable secret as unavailable instead of falling back to the pins', async () => {
    const fetcher = fakeFetch({});
    const loaded = await loadTrustedKeys(deps({ releaseKeysSecret: 'not a key', fetch: fetcher }));
    expect(loaded).toMatchObject({ keys: [], source: 'secret', unavailable: ['RELEASE_KEYS'] });
    expect(fetcher).not.toHaveBeenCalled();
  });
});

describe('loadTrustedKeys from the pinned fingerprints', () => {
  it('fetches each pinned key from the URL template', async () => {
    const [a, b] = await Promise.all([newArmoredKey(), newArmoredKey()]);
    const fetcher = fakeFetch({
      [urlFor(a.fingerprint)]: a.armored,
      [urlFor(b.fingerprint)]: b.armored,
    });
    const loaded = await loadTrustedKeys(
      deps({ fetch: fetcher, pinnedFingerprints: [a.fingerprint, b.fingerprint] }),
    );
    expect(loaded).toMatchObject({ source: 'pinned', unavailable: [] });
    expect(fingerprints(loaded.keys)).toEqual([a.fingerprint, b.fingerprint]);
    expect(fetcher).toHaveBeenCalledTimes(2);
  });

  it('caches a fetched key in KV so that the next isolate does not fetch it', async () => {
    const a = await newArmoredKey();
    const first = fakeFetch({ [urlFor(a.fingerprint)]: a.armored });
    await loadTrustedKeys(deps({ fetch: first, pinnedFingerprints: [a.fingerprint] }));
    expect(await env.PINS.get(releaseKeyKvKey(a.fingerprint))).toBe(a.armored);

    const second = fakeFetch({});
    const loaded = await loadTrustedKeys(
      deps({ fetch: second, pinnedFingerprints: [a.fingerprint], memoryCache: new Map() }),
    );
    expect(fingerprints(loaded.keys)).toEqual([a.fingerprint]);
    expect(second).not.toHaveBeenCalled();
  });

  it('keeps loaded keys in memory so that a second call reads neither KV nor the network', async () => {
    const a = await newArmoredKey();
    const memoryCache: ReleaseKeyMemoryCache = new Map();
    await loadTrustedKeys(
      deps({
        fetch: fakeFetch({ [urlFor(a.fingerprint)]: a.armored }),
        pinnedFingerprints: [a.fingerprint],
        memoryCache,
      }),
    );
    await env.PINS.delete(releaseKeyKvKey(a.fingerprint));
    const second = fakeFetch({});
    const loaded = await loadTrustedKeys(
      deps({ fetch: second, pinnedFingerprints: [a.fingerprint], memoryCache }),
    );
    expect(fingerprints(loaded.keys)).toEqual([a.fingerprint]);
    expect(second).not.toHaveBeenCalled();
  });

  it('rejects a served key whose fingerprint is not the pinned one, and does not cache it', async () => {
    const [pinned, impostor] = await Promise.all([newArmoredKey(), newArmoredKey()]);
    const fetcher = fakeFetch({ [urlFor(pinned.fingerprint)]: impostor.armored });
    const loaded = await loadTrustedKeys(
      deps({ fetch: fetcher, pinnedFingerprints: [pinned.fingerprint] }),
    );
    expect(loaded).toMatchObject({ keys: [], unavailable: [pinned.fingerprint] });
    expect(loaded.failures[0]?.reason).toContain(impostor.fingerprint);
    expect(await env.PINS.get(releaseKeyKvKey(pinned.fingerprint))).toBeNull();
  });

  it('ignores a KV entry holding another key and fetches the real one', async () => {
    const [pinned, impostor] = await Promise.all([newArmoredKey(), newArmoredKey()]);
    await env.PINS.put(releaseKeyKvKey(pinned.fingerprint), impostor.armored);
    const fetcher = fakeFetch({ [urlFor(pinned.fingerprint)]: pinned.armored });
    const loaded = await loadTrustedKeys(
      deps({ fetch: fetcher, pinnedFingerprints: [pinned.fingerprint] }),
    );
    expect(fingerprints(loaded.keys)).toEqual([pinned.fingerprint]);
    expect(fetcher).toHaveBeenCalledTimes(1);
  });

  it('lists a key that answers 404 as unavailable and keeps the others', async () => {
    const [present, missing] = await Promise.all([newArmoredKey(), newArmoredKey()]);
    const loaded = await loadTrustedKeys(
      deps({
        fetch: fakeFetch({ [urlFor(present.fingerprint)]: present.armored }),
        pinnedFingerprints: [present.fingerprint, missing.fingerprint],
      }),
    );
    expect(fingerprints(loaded.keys)).toEqual([present.fingerprint]);
    expect(loaded.unavailable).toEqual([missing.fingerprint]);
  });

  it('lists a key whose fetch throws as unavailable', async () => {
    const a = await newArmoredKey();
    const fetcher = vi.fn<typeof fetch>(async () => {
      throw new TypeError('network connection lost');
    });
    const loaded = await loadTrustedKeys(
      deps({ fetch: fetcher, pinnedFingerprints: [a.fingerprint] }),
    );
    expect(loaded).toMatchObject({ keys: [], unavailable: [a.fingerprint] });
  });

  it('lists a key file over 256 KiB as unavailable', async () => {
    const a = await newArmoredKey();
    const huge = `${a.armored}\n${'x'.repeat(300 * 1024)}`;
    const loaded = await loadTrustedKeys(
      deps({
        fetch: fakeFetch({ [urlFor(a.fingerprint)]: huge }),
        pinnedFingerprints: [a.fingerprint],
      }),
    );
    expect(loaded).toMatchObject({ keys: [], unavailable: [a.fingerprint] });
  });
});
