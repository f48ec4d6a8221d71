import { describe, expect, it } from 'vitest';
import {
  judgeHashAttempt,
  retryDelaySeconds,
  SHORT_BODY_DELIVERIES,
} from '../src/core/hash-verdict';
import { HASHED_URL, hashAttemptFixtures } from './hash-attempt-fixtures';

const EXPECTED = 'a'.repeat(64);
const OTHER = 'b'.repeat(64);
const URL = HASHED_URL;
const { job, body, failure } = hashAttemptFixtures(EXPECTED);

describe('judgeHashAttempt', () => {
  // Issue 13 (c): every other mismatch fixture differs in its first digits, so a check of a
  // prefix would pass them all. These differ only at the end.
  it.each([
    ['the last hex digit', `${'a'.repeat(63)}b`],
    ['the last 16 hex digits', `${'a'.repeat(48)}${'b'.repeat(16)}`],
    ['the second half', `${'a'.repeat(32)}${'b'.repeat(32)}`],
  ])('finds a digest that differs from the signed one only in %s', (_where, served) => {
    const verdict = judgeHashAttempt(job, body({ sha256: served }), 1);
    expect(verdict.action).toBe('mismatch');
    if (verdict.action !== 'mismatch') return;
    expect(verdict.finding).toMatchObject({
      kind: 'artifact-hash-mismatch',
      evidence: { expectedSha256: EXPECTED, observedSha256: served },
    });
  });

  it.each([
    { case: 'the signed hash', attempt: body(), action: 'verified' },
    {
      case: 'another hash of a complete body',
      attempt: body({ sha256: OTHER }),
      action: 'mismatch',
    },
    { case: 'a timeout', attempt: failure({ kind: 'timeout' }), action: 'retry' },
    { case: 'a connection reset', attempt: failure({ kind: 'network' }), action: 'retry' },
    { case: 'a truncated body', attempt: failure({ kind: 'truncated' }), action: 'retry' },
    { case: 'a spent budget', attempt: failure({ kind: 'budget-exhausted' }), action: 'retry' },
    { case: 'HTTP 503', attempt: failure({ kind: 'status', status: 503 }), action: 'retry' },
    { case: 'HTTP 404', attempt: failure({ kind: 'status', status: 404 }), action: 'gone' },
    { case: 'HTTP 403', attempt: failure({ kind: 'status', status: 403 }), action: 'unverifiable' },
    {
      case: 'a body over the pinned size',
      attempt: failure({ kind: 'too-large' }),
      action: 'mismatch',
    },
  ])('$case → $action', ({ attempt, action }) => {
    expect(judgeHashAttempt(job, attempt, 1).action).toBe(action);
  });

  it('puts both hashes, both sizes and the response headers in a mismatch', () => {
    const verdict = judgeHashAttempt(
      job,
      body({ sha256: OTHER, headers: { etag: '"x"', 'content-length': '1000' } }),
      1,
    );
    if (verdict.action !== 'mismatch') throw new Error(verdict.action);
    expect(verdict.finding).toMatchObject({
      kind: 'artifact-hash-mismatch',
      subject: URL,
      expected: `sha256 ${EXPECTED}, 1000 bytes`,
      observed: `sha256 ${OTHER}, 1000 bytes`,
      evidence: {
        expectedSha256: EXPECTED,
        observedSha256: OTHER,
        expectedBytes: 1000,
        observedBytes: 1000,
        headers: { etag: '"x"', 'content-length': '1000' },
      },
    });
  });

  it('retries a short body without Content-Length a few deliveries before calling it a mismatch', () => {
    const short = body({ sha256: OTHER, bytes: 400, headers: {} });
    expect(judgeHashAttempt(job, short, 1).action).toBe('retry');
    expect(judgeHashAttempt(job, short, SHORT_BODY_DELIVERIES).action).toBe('mismatch');
  });

  it('trusts the signed hash over the pinned size', () => {
    expect(judgeHashAttempt(job, body({ bytes: 999 }), 1).action).toBe('verified');
  });

  it('turns a redirect to a foreign host into a foreign-redirect finding', () => {
    const verdict = judgeHashAttempt(
      job,
      failure({
        kind: 'foreign-redirect',
        redirects: [{ from: URL, to: 'https://evil.example/x', status: 302 }],
      }),
      1,
    );
    expect(verdict).toMatchObject({
      action: 'unverifiable',
      finding: { kind: 'foreign-redirect', subject: URL, observed: 'https://evil.example/x' },
    });
  });

  it('honours a longer Retry-After', () => {
    const verdict = judgeHashAttempt(
      job,
      failure({ kind: 'status', status: 429, meta: { headers: { 'retry-after': '120' } } }),
      1,
    );
    expect(verdict).toMatchObject({ action: 'retry', delaySeconds: 120 });
  });
});

describe('retryDelaySeconds', () => {
  it.each([
    [1, 30],
    [2, 60],
    [3, 120],
    [5, 480],
    [6, 600],
    [40, 600],
  ])('delivery %i waits %i s', (delivery, seconds) => {
    expect(retryDelaySeconds(delivery)).toBe(seconds);
  });
});
