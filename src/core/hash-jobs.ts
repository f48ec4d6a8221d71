/**
 * Hash jobs: one message per artifact whose bytes must be proven against its signed hash.
 * Contract: a job carries everything the consumer needs (no lookup of mutable state), so
 * delivering it twice is harmless (queues are at-least-once) and the result is the same.
 */

export type HashReason = 'new-release' | 'metadata-changed' | 'rotation';

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
    typeof job['sweepId'] === 'string'
  );
}
