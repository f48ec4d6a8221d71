/**
 * Quarantine flags in KV (`QUARANTINE`): `quarantine:<path>` → `{ incidentId, reason, since }`.
 * The release worker can consult them to refuse serving a path whose bytes are in doubt.
 * A flag belongs to the incident that set it: resolving one incident never lifts another's.
 */
import { quarantineKeyOf } from '../core/playbooks';

/** The JSON value of a quarantine flag. */
export interface QuarantineFlag {
  readonly incidentId: string;
  readonly reason: string;
  /** ISO time the flag was first set. */
  readonly since: string;
}

export type QuarantineClearOutcome = 'cleared' | 'absent' | 'owned-by-another-incident';

export class QuarantineStoreError extends Error {
  override readonly name = 'QuarantineStoreError';
}

export interface QuarantineStore {
  get(url: string): Promise<QuarantineFlag | undefined>;
  /** Sets the flag unless this incident already holds it (keeps the first `since`). */
  flag(url: string, flag: QuarantineFlag): Promise<{ key: string; created: boolean }>;
  clear(url: string, incidentId: string): Promise<QuarantineClearOutcome>;
}

export function createQuarantineStore(kv: KVNamespace): QuarantineStore {
  const read = async (key: string): Promise<QuarantineFlag | undefined> => {
    try {
      return (await kv.get<QuarantineFlag>(key, 'json')) ?? undefined;
    } catch (cause) {
      throw new QuarantineStoreError(`could not read ${key}`, { cause });
    }
  };
  return {
    get: (url) => read(quarantineKeyOf(url)),
    async flag(url, flag) {
      const key = quarantineKeyOf(url);
      const existing = await read(key);
      if (existing?.incidentId === flag.incidentId) return { key, created: false };
      try {
        await kv.put(key, JSON.stringify(flag));
      } catch (cause) {
        throw new QuarantineStoreError(`could not write ${key}`, { cause });
      }
      return { key, created: true };
    },
    async clear(url, incidentId) {
      const key = quarantineKeyOf(url);
      const existing = await read(key);
      if (existing === undefined) return 'absent';
      if (existing.incidentId !== incidentId) return 'owned-by-another-incident';
      try {
        await kv.delete(key);
      } catch (cause) {
        throw new QuarantineStoreError(`could not delete ${key}`, { cause });
      }
      return 'cleared';
    },
  };
}
