/**
 * What one hashing attempt of an artifact means: verified, a mismatch (P0), retry later,
 * gone, or unverifiable.
 *
 * Contract: pure. Only a complete body can be a mismatch: timeouts, resets, truncated bodies,
 * 5xx/429 and a spent subrequest budget are retried (with backoff) and never reported on a
 * single failure; after the queue's last retry the dead-letter consumer turns the job into
 * `artifact-unverifiable`, never silence. A complete body whose digest differs from the
 * signed hash, or whose size passes the pinned size, is `artifact-hash-mismatch`. A body
 * shorter than the pinned size that declared no Content-Length may be a cut connection, so
 * it is retried a few deliveries before it counts. 404/410 are left to the sweep's HEAD
 * check (`artifact-missing`). A redirect to a foreign host is its own finding.
 */
import type { FindingInput } from './findings';
import type { HashJob } from './hash-jobs';
import type { HttpErrorKind, RedirectHop } from './http-outcome';

/** The hashing failures the dist client reports. */
export type HashFailureKind = HttpErrorKind;

/** A body that was read to its end and hashed. */
export interface HashedBody {
  /** The final URL, after redirects. */
  readonly url: string;
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly redirects: readonly RedirectHop[];
  readonly attempts: number;
  readonly sha256: string;
  readonly bytes: number;
}

export interface HashFailure {
  readonly kind: HashFailureKind;
  readonly url: string;
  readonly detail: string;
  readonly status?: number;
  readonly redirects: readonly RedirectHop[];
  readonly attempts: number;
  readonly to?: string;
  readonly meta?: { readonly headers: Readonly<Record<string, string>> };
}

export type HashAttempt =
  | { readonly ok: true; readonly value: HashedBody }
  | { readonly ok: false; readonly error: HashFailure };

export type HashVerdict =
  | { readonly action: 'verified'; readonly bytes: number }
  | { readonly action: 'mismatch'; readonly bytes: number; readonly finding: FindingInput }
  | { readonly action: 'retry'; readonly delaySeconds: number; readonly reason: string }
  | { readonly action: 'gone'; readonly status: number }
  | { readonly action: 'unverifiable'; readonly reason: string; readonly finding: FindingInput };

/** First queue retry after this long, doubling per delivery. */
export const RETRY_BASE_SECONDS = 30;
export const RETRY_MAX_SECONDS = 600;
/** Deliveries a short body without Content-Length is retried before it counts as a mismatch. */
export const SHORT_BODY_DELIVERIES = 3;

const TRANSIENT: ReadonlySet<HashFailureKind> = new Set([
  'timeout',
  'network',
  'truncated',
  'budget-exhausted',
]);

/**
 * @param delivery the queue's delivery count of the message (1 on the first delivery)
 */
export function judgeHashAttempt(
  job: HashJob,
  attempt: HashAttempt,
  delivery: number,
): HashVerdict {
  if (attempt.ok) return judgeBody(job, attempt.value, delivery);
  const error = attempt.error;
  const status = error.status;
  if (error.kind === 'status' && (status === 404 || status === 410)) {
    return { action: 'gone', status };
  }
  if (TRANSIENT.has(error.kind) || (error.kind === 'status' && isRetryableStatus(status))) {
    return {
      action: 'retry',
      delaySeconds: retryDelaySeconds(delivery, retryAfterSeconds(error.meta?.headers)),
      reason: `${error.kind}: ${error.detail}`,
    };
  }
  if (error.kind === 'too-large') {
    if (job.expectedBytes === undefined) {
      // Longer than its own Content-Length: a broken response, not evidence about the file.
      return {
        action: 'retry',
        delaySeconds: retryDelaySeconds(delivery),
        reason: `too-large: ${error.detail}`,
      };
    }
    return {
      action: 'mismatch',
      bytes: oversizeBytes(job, error),
      finding: oversizeFinding(job, error),
    };
  }
  if (error.kind === 'foreign-redirect') {
    const hop = error.redirects.at(-1);
    return {
      action: 'unverifiable',
      reason: error.detail,
      finding: {
        kind: 'foreign-redirect',
        subject: error.url,
        release: job.version,
        summary: `${error.url} redirects to ${hop?.to ?? error.to ?? 'a host'} that is not allowed.`,
        expected: 'served from the dist host or an allowed host',
        observed: hop?.to ?? error.to ?? error.detail,
        evidence: { redirects: error.redirects, detail: error.detail, seenBy: 'hash-worker' },
      },
    };
  }
  return {
    action: 'unverifiable',
    reason: `${error.kind}: ${error.detail}`,
    finding: unverifiableFinding(job, {
      why: `the download failed with ${error.kind === 'status' ? `HTTP ${status}` : error.kind}`,
      evidence: {
        error: error.kind,
        detail: error.detail,
        status: status ?? null,
        headers: error.meta?.headers ?? {},
        redirects: error.redirects,
      },
    }),
  };
}

function judgeBody(job: HashJob, body: HashedBody, delivery: number): HashVerdict {
  if (body.sha256 === job.expectedSha256) return { action: 'verified', bytes: body.bytes };
  const short = job.expectedBytes !== undefined && body.bytes < job.expectedBytes;
  if (short && body.headers['content-length'] === undefined && delivery < SHORT_BODY_DELIVERIES) {
    return {
      action: 'retry',
      delaySeconds: retryDelaySeconds(delivery),
      reason: `short body without Content-Length: ${body.bytes} of ${job.expectedBytes} bytes`,
    };
  }
  return {
    action: 'mismatch',
    bytes: body.bytes,
    finding: hashMismatchFinding(job, body, {
      delivery,
      ...(job.rebaseline !== undefined && { metadataChange: job.rebaseline }),
    }),
  };
}

/**
 * `artifact-hash-mismatch` for a complete body whose digest is not the signed one: the
 * whole digest is compared, never a prefix. `extra` joins the evidence (e.g. which URL
 * served it, the metadata change that triggered the hash).
 */
export function hashMismatchFinding(
  job: Pick<
    HashJob,
    'version' | 'name' | 'url' | 'expectedSha256' | 'expectedBytes' | 'reason' | 'sweepId'
  >,
  body: Pick<
    HashedBody,
    'url' | 'status' | 'headers' | 'redirects' | 'attempts' | 'sha256' | 'bytes'
  >,
  extra: Readonly<Record<string, unknown>> = {},
): FindingInput {
  return {
    kind: 'artifact-hash-mismatch',
    subject: job.url,
    release: job.version,
    summary: `${job.name} of ${job.version} does not match the signed SHA-256 of its release: ${body.bytes} bytes were served hashing to ${body.sha256}, the manifest signs ${job.expectedSha256}.`,
    expected: describe(job.expectedSha256, job.expectedBytes),
    observed: describe(body.sha256, body.bytes),
    evidence: {
      expectedSha256: job.expectedSha256,
      observedSha256: body.sha256,
      expectedBytes: job.expectedBytes ?? null,
      observedBytes: body.bytes,
      status: body.status,
      finalUrl: body.url,
      headers: body.headers,
      redirects: body.redirects,
      attempts: body.attempts,
      reason: job.reason,
      queuedBy: job.sweepId,
      ...extra,
    },
  };
}

function oversizeBytes(job: HashJob, error: HashFailure): number {
  const declared = declaredLength(error.meta?.headers);
  return declared ?? (job.expectedBytes ?? 0) + 1;
}

function oversizeFinding(job: HashJob, error: HashFailure): FindingInput {
  const declared = declaredLength(error.meta?.headers);
  const observedSize =
    declared !== undefined ? `${declared} bytes` : `more than ${job.expectedBytes} bytes`;
  return {
    kind: 'artifact-hash-mismatch',
    subject: job.url,
    release: job.version,
    summary: `${job.name} of ${job.version} is served with ${observedSize}, more than the ${job.expectedBytes} bytes pinned for its signed hash ${job.expectedSha256}; the download was stopped there.`,
    expected: describe(job.expectedSha256, job.expectedBytes),
    observed: `unhashed, ${observedSize}`,
    evidence: {
      expectedSha256: job.expectedSha256,
      observedSha256: null,
      expectedBytes: job.expectedBytes ?? null,
      observedBytes: declared ?? null,
      detail: error.detail,
      status: error.status ?? null,
      headers: error.meta?.headers ?? {},
      redirects: error.redirects,
      reason: job.reason,
      queuedBy: job.sweepId,
    },
  };
}

/** The dead-letter verdict: a job that failed every retry. */
export function deadJobFinding(
  job: HashJob,
  lastFailure?: { readonly error: string; readonly failures: number; readonly at: string },
): FindingInput {
  return unverifiableFinding(job, {
    why: lastFailure
      ? `every retry failed, last with ${lastFailure.error}`
      : 'every retry of its hashing job failed',
    evidence: {
      lastError: lastFailure?.error ?? null,
      failuresRecorded: lastFailure?.failures ?? null,
      lastFailureAt: lastFailure?.at ?? null,
    },
  });
}

function unverifiableFinding(
  job: HashJob,
  detail: { readonly why: string; readonly evidence: Readonly<Record<string, unknown>> },
): FindingInput {
  return {
    kind: 'artifact-unverifiable',
    subject: job.url,
    release: job.version,
    summary: `${job.name} of ${job.version} could not be hashed: ${detail.why}. Its bytes are unproven until a later attempt succeeds.`,
    expected: describe(job.expectedSha256, job.expectedBytes),
    observed: 'not hashed',
    evidence: {
      ...detail.evidence,
      expectedSha256: job.expectedSha256,
      expectedBytes: job.expectedBytes ?? null,
      reason: job.reason,
      queuedBy: job.sweepId,
    },
  };
}

/** Exponential per delivery (30 s, 60 s, 120 s…), capped; a longer Retry-After wins. */
export function retryDelaySeconds(delivery: number, retryAfter?: number): number {
  const exponent = Math.max(0, Math.min(20, Math.floor(delivery) - 1));
  const backoff = Math.min(RETRY_MAX_SECONDS, RETRY_BASE_SECONDS * 2 ** exponent);
  if (retryAfter === undefined) return backoff;
  return Math.max(backoff, Math.min(RETRY_MAX_SECONDS, Math.ceil(retryAfter)));
}

function isRetryableStatus(status: number | undefined): boolean {
  return status !== undefined && (status >= 500 || status === 429 || status === 408);
}

function retryAfterSeconds(
  headers: Readonly<Record<string, string>> | undefined,
): number | undefined {
  const value = headers?.['retry-after']?.trim();
  return value !== undefined && /^\d+$/.test(value) ? Number(value) : undefined;
}

function declaredLength(headers: Readonly<Record<string, string>> | undefined): number | undefined {
  const value = headers?.['content-length']?.trim();
  return value !== undefined && /^\d+$/.test(value) ? Number(value) : undefined;
}

function describe(sha256: string, bytes: number | undefined): string {
  return `sha256 ${sha256}${bytes !== undefined ? `, ${bytes} bytes` : ''}`;
}
