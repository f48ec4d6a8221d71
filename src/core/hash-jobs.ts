/**
 * Hash jobs: one message per artifact whose bytes must be proven against its signed hash.
 * Contract: a job carries everything the consumer needs (no lookup of mutable state), so
 * delivering it twice is harmless (queues are at-least-once) and the result is the same.
 * A `metadata-changed` job whose size did not change also carries the pinned and the
 * observed metadata: when the bytes verify, the consumer re-baselines the pin to what was
 * observed (bytes decide integrity, core/artifact-metadata.ts); when they do not, the
 * change is part of the mismatch's evidence.
 */
import type { ArtifactMetadata, MetadataField } from './artifact-metadata';

export type HashReason = 'new-release' | 'metadata-changed' | 'rotation';

/** The metadata change that queued a job: re-baselined when the bytes verify. */
export interface MetadataChangeOfJob {
  /** The artifact's pin as the sweep compared with it. */
  readonly pinned: ArtifactMetadata;
  /** What the sweep's HEAD saw. */
  readonly observed: ArtifactMetadata;
  readonly changed: readonly MetadataField[];
}

export interface HashJob {
  readonly type: 'hash';
  readonly version: string;
  /** Manifest entry name, e.g. `node-v24.11.1-linux-x64.tar.xz` or `win-x64/node.exe`. */
  readonly name: string;
  readonly url: string;
  /** Lowercase hex SHA-256 from the verified manifest. */
  readonly expectedSha256: string;
  /** Size pinned at first sighting, when known: a longer body is stopped early. */
  readonly expectedBytes?: number;
  readonly reason: HashReason;
  readonly sweepId: string;
  /** Only on `metadata-changed` jobs whose ETag / Last-Modified changed and size did not. */
  readonly rebaseline?: MetadataChangeOfJob;
}

export function isHashJob(value: unknown): value is HashJob {
  if (typeof value !== 'object' || value === null) return false;
  const job = value as Record<string, unknown>;
  return (
    job['type'] === 'hash' &&
    typeof job['version'] === 'string' &&
    typeof job['name'] === 'string' &&
    typeof job['url'] === 'string' &&
    typeof job['expectedSha256'] === 'string' &&
    /^[0-9a-f]{64}$/.test(job['expectedSha256']) &&
    typeof job['sweepId'] === 'string' &&
    (job['rebaseline'] === undefined || isMetadataChange(job['rebaseline']))
  );
}

const FIELDS: readonly unknown[] = ['size', 'ETag', 'Last-Modified'];

function isMetadataChange(value: unknown): value is MetadataChangeOfJob {
  if (typeof value !== 'object' || value === null) return false;
  const change = value as Record<string, unknown>;
  return (
    isMetadata(change['pinned']) &&
    isMetadata(change['observed']) &&
    Array.isArray(change['changed']) &&
    change['changed'].every((field) => FIELDS.includes(field))
  );
}

function isMetadata(value: unknown): value is ArtifactMetadata {
  if (typeof value !== 'object' || value === null) return false;
  const meta = value as Record<string, unknown>;
  return (
    (meta['size'] === undefined ||
      (typeof meta['size'] === 'number' && Number.isSafeInteger(meta['size']))) &&
    (meta['etag'] === undefined || typeof meta['etag'] === 'string') &&
    (meta['lastModified'] === undefined || typeof meta['lastModified'] === 'string')
  );
}
