/**
 * What a hash worker does beyond the download itself: how long it waits for one, and what
 * it asks the origin when the bytes users receive fail their signed hash.
 *
 * Contract: severity by harm. A mismatch at the plain URL is what users receive: it stays
 * `artifact-hash-mismatch` (P0) whatever the origin serves. The cache-bypassing URL
 * (ORIGIN_BASE_URL, or a unique query string) is still fetched, under the same client and
 * cap: when it serves the signed bytes, the cache is to blame too and `cache-poisoned` is
 * added (its playbook purges), never reported instead.
 */
import type { MonitorConfig } from '../core/config';
import type { FindingInput } from '../core/findings';
import type { HashJob } from '../core/hash-jobs';
import type { HashVerdict } from '../core/hash-verdict';
import { cacheBypassUrl } from '../core/manifest-urls';
import type { DistClient } from '../adapters/dist-client';

/** Slowest download we wait for before calling it a timeout. */
const MIN_BYTES_PER_SECOND = 1024 * 1024;
const UNKNOWN_SIZE_BYTES = 256 * 1024 * 1024;
/** Consumers have 15 minutes of wall time; one attempt never takes more than this. */
const MAX_HASH_TIMEOUT_MS = 10 * 60 * 1000;

/**
 * A mismatch at the plain URL is what users receive: it stays `artifact-hash-mismatch`
 * (P0) whatever the origin serves. The cache-bypassing URL (ORIGIN_BASE_URL, or a unique
 * query string) is still fetched: when it serves the signed bytes, the cache is to blame
 * too and `cache-poisoned` is added (its playbook purges), never reported instead.
 */
export async function confirmAtOrigin(
  job: HashJob,
  verdict: Extract<HashVerdict, { action: 'mismatch' }>,
  client: DistClient,
  config: MonitorConfig,
): Promise<{ verdict: HashVerdict; also: FindingInput[] }> {
  const originUrl = cacheBypassUrl(
    job.url,
    config.DIST_BASE_URL,
    config.ORIGIN_BASE_URL,
    job.sweepId,
  );
  const origin = await client.hashBody(originUrl, {
    ...(job.expectedBytes !== undefined && { expectedBytes: job.expectedBytes }),
    timeoutMs: hashTimeoutMs(job, config),
  });
  const originSigned = origin.ok && origin.value.sha256 === job.expectedSha256;
  const mismatch: HashVerdict = {
    ...verdict,
    finding: {
      ...verdict.finding,
      ...(originSigned && {
        summary: `${verdict.finding.summary} The cache-bypassing URL serves the signed bytes: purging the cache removes the tampered copy users receive.`,
      }),
      evidence: {
        ...verdict.finding.evidence,
        origin: origin.ok
          ? { sha256: origin.value.sha256, bytes: origin.value.bytes, url: originUrl }
          : { error: origin.error.kind, url: originUrl },
      },
    },
  };
  if (!originSigned || !origin.ok) return { verdict: mismatch, also: [] };
  const poisoned: FindingInput = {
    kind: 'cache-poisoned',
    subject: verdict.finding.subject,
    release: job.version,
    summary: `The cached ${job.name} of ${job.version} differs from the signed bytes, which the origin still serves.`,
    expected: job.expectedSha256,
    observed: verdict.finding.observed ?? 'unknown',
    evidence: {
      ...verdict.finding.evidence,
      differences: ['bytes'],
      origin: { sha256: origin.value.sha256, bytes: origin.value.bytes, url: originUrl },
    },
  };
  return { verdict: mismatch, also: [poisoned] };
}

/** Long enough for the artifact at a slow-but-working pace, never past the wall-time limit. */
export function hashTimeoutMs(
  job: Pick<HashJob, 'expectedBytes'>,
  config: Pick<MonitorConfig, 'REQUEST_TIMEOUT_MS'>,
): number {
  const bytes = job.expectedBytes ?? UNKNOWN_SIZE_BYTES;
  return Math.min(
    MAX_HASH_TIMEOUT_MS,
    config.REQUEST_TIMEOUT_MS + Math.ceil((bytes / MIN_BYTES_PER_SECOND) * 1000),
  );
}
