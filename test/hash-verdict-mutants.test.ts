/**
 * What one hashing attempt means: cases StrykerJS showed no test looked at
 * (docs/reliability.md, "Mutation testing"), among them issue 13's survivor (c): a digest
 * compared by a prefix. Every digest below differs from the signed one in a single hex digit.
 */
import { describe, expect, it } from 'vitest';
import {
  deadJobFinding,
  judgeHashAttempt,
  RETRY_MAX_SECONDS,
  SHORT_BODY_DELIVERIES,
} from '../src/core/hash-verdict';
import { HASHED_URL, hashAttemptFixtures } from './hash-attempt-fixtures';

const EXPECTED = '3f'.repeat(32);
const URL = HASHED_URL;
const { job: JOB, body, failure } = hashAttemptFixtures(EXPECTED);

/** The signed digest with the hex digit at `index` changed. */
const oneDigitOff = (index: number) =>
  `${EXPECTED.slice(0, index)}${EXPECTED[index] === '0' ? '1' : '0'}${EXPECTED.slice(index + 1)}`;

describe('judgeHashAttempt: the whole digest decides', () => {
  it.each([0, 15, 16, 31, 32, 62, 63])(
    'a complete body whose digest differs only in hex digit %i is a mismatch',
    (index) => {
      const verdict = judgeHashAttempt(JOB, body({ sha256: oneDigitOff(index) }), 1);
      expect(verdict).toMatchObject({
        action: 'mismatch',
        bytes: 1000,
        finding: {
          kind: 'artifact-hash-mismatch',
          subject: URL,
          release: 'v24.11.1',
          expected: `sha256 ${EXPECTED}, 1000 bytes`,
          observed: `sha256 ${oneDigitOff(index)}, 1000 bytes`,
          evidence: { expectedSha256: EXPECTED, observedSha256: oneDigitOff(index) },
        },
      });
    },
  );

  it('the signed digest verifies', () => {
    expect(judgeHashAttempt(JOB, body(), 1)).toEqual({ action: 'verified', bytes: 1000 });
  });
});

describe('judgeHashAttempt: a short body', () => {
  const short = (headers: Record<string, string>, bytes = 999) =>
    body({ sha256: oneDigitOff(0), bytes, headers });

  it('without Content-Length is retried until the last short-body delivery, then a mismatch', () => {
    for (let delivery = 1; delivery < SHORT_BODY_DELIVERIES; delivery += 1) {
      expect(judgeHashAttempt(JOB, short({}), delivery)).toMatchObject({ action: 'retry' });
    }
    expect(judgeHashAttempt(JOB, short({}), SHORT_BODY_DELIVERIES)).toMatchObject({
      action: 'mismatch',
    });
  });

  it('that declared its Content-Length is a mismatch at once', () => {
    expect(judgeHashAttempt(JOB, short({ 'content-length': '999' }), 1)).toMatchObject({
      action: 'mismatch',
    });
  });

  it('is not short at the pinned size, nor when no size was pinned: a mismatch at once', () => {
    expect(judgeHashAttempt(JOB, short({}, 1000), 1)).toMatchObject({ action: 'mismatch' });
    const { expectedBytes: _unused, ...unsized } = JOB;
    expect(judgeHashAttempt(unsized, short({}), 1)).toMatchObject({ action: 'mismatch' });
  });
});

describe('judgeHashAttempt: failures', () => {
  it.each([404, 410])('HTTP %i is left to the HEAD check', (status) => {
    expect(judgeHashAttempt(JOB, failure({ kind: 'status', status }), 1)).toEqual({
      action: 'gone',
      status,
    });
  });

  it.each([408, 429, 500, 503, 599])('HTTP %i is retried', (status) => {
    expect(judgeHashAttempt(JOB, failure({ kind: 'status', status }), 1)).toMatchObject({
      action: 'retry',
      reason: 'status: detail',
    });
  });

  it.each([400, 403, 451, 499])('HTTP %i makes the file unverifiable at once', (status) => {
    expect(judgeHashAttempt(JOB, failure({ kind: 'status', status }), 1)).toMatchObject({
      action: 'unverifiable',
      reason: 'status: detail',
      finding: {
        kind: 'artifact-unverifiable',
        subject: URL,
        observed: 'not hashed',
        evidence: { error: 'status', status, expectedSha256: EXPECTED, expectedBytes: 1000 },
      },
    });
    const verdict = judgeHashAttempt(JOB, failure({ kind: 'status', status }), 1);
    expect(verdict.action === 'unverifiable' && verdict.finding.summary).toContain(
      `the download failed with HTTP ${status}`,
    );
  });

  it('names a failure that is not an HTTP status by its kind', () => {
    const verdict = judgeHashAttempt(JOB, failure({ kind: 'too-many-redirects' }), 1);
    expect(verdict.action === 'unverifiable' && verdict.finding.summary).toContain(
      'the download failed with too-many-redirects',
    );
  });

  it('waits at least as long as a numeric Retry-After asks, within the cap', () => {
    const withRetryAfter = (value: string) =>
      judgeHashAttempt(
        JOB,
        failure({ kind: 'status', status: 503, meta: { headers: { 'retry-after': value } } }),
        1,
      );
    expect(withRetryAfter(' 120 ')).toMatchObject({ delaySeconds: 120 });
    expect(withRetryAfter('99999')).toMatchObject({ delaySeconds: RETRY_MAX_SECONDS });
    for (const ignored of ['120s', 'x120', '1e3', 'Wed, 21 Oct 2015 07:28:00 GMT']) {
      expect(withRetryAfter(ignored), ignored).toMatchObject({ delaySeconds: 30 });
    }
  });

  it('a body longer than the pinned size is a mismatch, sized by its Content-Length if given', () => {
    const declared = judgeHashAttempt(
      JOB,
      failure({ kind: 'too-large', meta: { headers: { 'content-length': ' 5000 ' } } }),
      1,
    );
    expect(declared).toMatchObject({
      action: 'mismatch',
      bytes: 5000,
      finding: {
        kind: 'artifact-hash-mismatch',
        observed: 'unhashed, 5000 bytes',
        evidence: { observedBytes: 5000, observedSha256: null, expectedBytes: 1000 },
      },
    });
    const undeclared = judgeHashAttempt(JOB, failure({ kind: 'too-large' }), 1);
    expect(undeclared).toMatchObject({
      action: 'mismatch',
      bytes: 1001,
      finding: { observed: 'unhashed, more than 1000 bytes', evidence: { observedBytes: null } },
    });
    const bogus = judgeHashAttempt(
      JOB,
      failure({ kind: 'too-large', meta: { headers: { 'content-length': '5e3' } } }),
      1,
    );
    expect(bogus).toMatchObject({ bytes: 1001 });
  });

  it('a body longer than its own Content-Length, with no pinned size, is retried', () => {
    const { expectedBytes: _unused, ...unsized } = JOB;
    expect(judgeHashAttempt(unsized, failure({ kind: 'too-large' }), 1)).toMatchObject({
      action: 'retry',
    });
  });

  it('a redirect to a foreign host is its own finding, naming the target', () => {
    const verdict = judgeHashAttempt(
      JOB,
      failure({
        kind: 'foreign-redirect',
        redirects: [{ from: URL, to: 'https://evil.test/node.tar.gz', status: 302 }],
      }),
      1,
    );
    expect(verdict).toMatchObject({
      action: 'unverifiable',
      finding: {
        kind: 'foreign-redirect',
        subject: URL,
        observed: 'https://evil.test/node.tar.gz',
        evidence: { seenBy: 'hash-worker' },
      },
    });
  });
});

describe('deadJobFinding', () => {
  it('turns a job that failed every retry into artifact-unverifiable, with its last error', () => {
    expect(
      deadJobFinding(JOB, { error: 'timeout: 10 s', failures: 5, at: '2026-01-01T00:00:00.000Z' }),
    ).toMatchObject({
      kind: 'artifact-unverifiable',
      subject: URL,
      expected: `sha256 ${EXPECTED}, 1000 bytes`,
      evidence: {
        lastError: 'timeout: 10 s',
        failuresRecorded: 5,
        lastFailureAt: '2026-01-01T00:00:00.000Z',
      },
    });
    expect(deadJobFinding(JOB)).toMatchObject({
      kind: 'artifact-unverifiable',
      evidence: { lastError: null, failuresRecorded: null, lastFailureAt: null },
    });
  });
});
