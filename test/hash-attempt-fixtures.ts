/**
 * One hash job and the attempts to hash it, for the tests of src/core/hash-verdict.ts:
 * a body with the job's size and (by default) its signed digest, or a failure of a kind.
 */
import type { HashJob } from '../src/core/hash-jobs';
import type { HashAttempt, HashFailure, HashedBody } from '../src/core/hash-verdict';

export const HASHED_URL = 'https://dist.test/dist/v24.11.1/node-v24.11.1.tar.gz';

export function hashAttemptFixtures(expectedSha256: string) {
  const job: HashJob = {
    type: 'hash',
    version: 'v24.11.1',
    name: 'node-v24.11.1.tar.gz',
    url: HASHED_URL,
    expectedSha256,
    expectedBytes: 1000,
    reason: 'rotation',
    sweepId: 'sweep-1',
  };
  const body = (fields: Partial<HashedBody> = {}): HashAttempt => ({
    ok: true,
    value: {
      url: HASHED_URL,
      status: 200,
      headers: { 'content-length': '1000' },
      redirects: [],
      attempts: 1,
      sha256: expectedSha256,
      bytes: 1000,
      ...fields,
    },
  });
  const failure = (fields: Partial<HashFailure> & Pick<HashFailure, 'kind'>): HashAttempt => ({
    ok: false,
    error: { url: HASHED_URL, detail: 'detail', redirects: [], attempts: 2, ...fields },
  });
  return { job, body, failure };
}
