/**
 * Known-good pins in KV (trust model step 2). One value per release, so a sweep spends one
 * KV read per watched release whatever its number of artifacts. Release files are
 * immutable: a pin is written at the first verified sighting and then only extended
 * (artifact metadata seen for the first time), never overwritten with different values —
 * with one exception that bytes decide: an artifact whose ETag or Last-Modified changed
 * while its bytes still hash to the signed SHA-256 (size unchanged) has its metadata
 * re-baselined, with an audit record kept in the pin (core/artifact-metadata.ts). The
 * signed entries and the manifest's hash never change. Key layout: docs/storage.md.
 */
import type { PinnedArtifact } from '../core/artifact-metadata';
import type { PinnedIndexEntry } from '../core/index-pins';
import type { SignatureForm } from '../core/signature';

/**
 * Observed metadata of one artifact at first sighting (or as last re-baselined), with the
 * audit records of its re-baselines.
 */
export type ArtifactPin = PinnedArtifact;

/** Everything pinned about one release. */
export interface ReleasePin {
  readonly version: string;
  /** SHA-256 of SHASUMS256.txt as first verified. */
  readonly manifestSha256: string;
  /** Entry name → SHA-256, from the verified manifest. */
  readonly entries: Readonly<Record<string, string>>;
  /** Primary fingerprint of the key that signed it. */
  readonly signer: string;
  readonly pinnedAt: string;
  readonly artifacts: Readonly<Record<string, ArtifactPin>>;
  /**
   * The release's index.json entry when it was pinned (core/index-pins.ts): what is checked
   * keeps following it whatever index.json says later. Pins older than this field get it on
   * their next sweep.
   */
  readonly indexEntry?: PinnedIndexEntry;
  /** The signature forms the pin was verified with: those files must keep being served. */
  readonly signatureForms?: readonly SignatureForm[];
}

export class PinStoreError extends Error {
  override readonly name = 'PinStoreError';
}

export const releasePinKey = (version: string): string => `pin:release:${version}`;

export interface PinStore {
  getRelease(version: string): Promise<ReleasePin | undefined>;
  putRelease(pin: ReleasePin): Promise<void>;
}

export function createKvPinStore(kv: KVNamespace): PinStore {
  return {
    async getRelease(version) {
      const value = await kv.get<ReleasePin>(releasePinKey(version), 'json');
      return value ?? undefined;
    },
    async putRelease(pin) {
      try {
        await kv.put(releasePinKey(pin.version), JSON.stringify(pin));
      } catch (cause) {
        throw new PinStoreError(`could not write the pin of ${pin.version}`, { cause });
      }
    },
  };
}
