/**
 * When the cache differential first saw a cached copy stale (core/cache-staleness.ts), so a
 * missing purge can be raised to P2 once it outlives `s-maxage` plus a margin, measured on
 * the monitor's own clock, not on anything the site says. One small KV value per URL in
 * PINS (`stale:<url>`), written when a staleness starts and deleted when the cache
 * converges; the sweep is its only writer. Key layout: docs/storage.md.
 */

export interface StaleRecord {
  /** ISO time of the first sweep that saw the copy stale. */
  readonly since: string;
  /** SHA-256 of the stale copy first seen. */
  readonly cachedSha256: string;
}

export const staleKey = (url: string): string => `stale:${url}`;

export interface StalenessStore {
  get(url: string): Promise<StaleRecord | undefined>;
  put(url: string, record: StaleRecord): Promise<void>;
  clear(url: string): Promise<void>;
}

export function createKvStalenessStore(kv: KVNamespace): StalenessStore {
  return {
    async get(url) {
      const value = await kv.get<StaleRecord>(staleKey(url), 'json');
      return value !== null &&
        typeof value.since === 'string' &&
        !Number.isNaN(Date.parse(value.since))
        ? value
        : undefined;
    },
    async put(url, record) {
      await kv.put(staleKey(url), JSON.stringify(record));
    },
    async clear(url) {
      await kv.delete(staleKey(url));
    },
  };
}
