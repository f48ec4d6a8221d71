/**
 * Content-addressed evidence in R2 (`EVIDENCE`): every object is stored under
 * `evidence/sha256/<hex of its bytes>`. R2 checks the `sha256` we send and rejects a
 * mismatching upload; the `etagDoesNotMatch: '*'` precondition (If-None-Match: *) means an
 * existing object is never overwritten, so evidence cannot be altered after capture.
 */
import { sha256Hex } from '../core/digest';

export interface StoredEvidence {
  readonly key: string;
  readonly sha256: string;
  readonly size: number;
  /** False when the same bytes were already stored. */
  readonly created: boolean;
}

export interface EvidenceItem {
  readonly bytes: Uint8Array;
  readonly contentType: string;
  /** What the bytes are (`finding`, `body`, `manifest`, `signature`): R2 custom metadata. */
  readonly label: string;
  readonly incidentId: string;
}

export class EvidenceStoreError extends Error {
  override readonly name = 'EvidenceStoreError';
}

export interface EvidenceStore {
  put(item: EvidenceItem): Promise<StoredEvidence>;
}

export function evidenceKeyOf(sha256: string): string {
  return `evidence/sha256/${sha256}`;
}

export function createEvidenceStore(bucket: R2Bucket): EvidenceStore {
  return {
    async put(item) {
      const sha256 = await sha256Hex(item.bytes);
      const key = evidenceKeyOf(sha256);
      const stored = { key, sha256, size: item.bytes.byteLength };
      try {
        if ((await bucket.head(key)) !== null) return { ...stored, created: false };
        const written = await bucket.put(key, item.bytes, {
          sha256,
          onlyIf: { etagDoesNotMatch: '*' },
          httpMetadata: { contentType: item.contentType },
          customMetadata: { label: item.label, incidentId: item.incidentId },
        });
        // null: the precondition failed because someone stored the same bytes meanwhile.
        return { ...stored, created: written !== null };
      } catch (cause) {
        throw new EvidenceStoreError(`could not store ${item.label} evidence at ${key}`, { cause });
      }
    },
  };
}
