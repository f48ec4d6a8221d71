/**
 * The pure rules behind "bytes decide integrity": which metadata changed, what caused it, and
 * when a pin may be re-baselined (only for the signed bytes, never for a size change).
 */
import { describe, expect, it } from 'vitest';
import {
  classifyRebaselineCause,
  compareMetadata,
  isNginxEtag,
  isOriginFallbackResponse,
  MAX_REBASELINE_RECORDS,
  planRebaseline,
  rebaselineNotice,
  type PinnedArtifact,
  type RebaselineRecord,
} from '../src/core/artifact-metadata';
import { isHashJob } from '../src/core/hash-jobs';

const NOW = new Date('2026-11-20T10:00:00Z');
const SIGNED = 'c'.repeat(64);
const R2_ETAG = '"0123456789abcdef0123456789abcdef"';
const LAST_MODIFIED = 'Sun, 08 Nov 2026 12:00:00 GMT';
const MTIME_HEX = (Date.parse(LAST_MODIFIED) / 1000).toString(16);
const FALLBACK_ETAG = `"${MTIME_HEX}-b115"`;
const pinned: PinnedArtifact = {
  size: 0xb115,
  etag: R2_ETAG,
  lastModified: LAST_MODIFIED,
  pinnedAt: '2026-11-08T13:00:00.000Z',
};
const fallback = { size: 0xb115, etag: FALLBACK_ETAG, lastModified: LAST_MODIFIED };

function plan(overrides: Partial<Parameters<typeof planRebaseline>[0]> = {}) {
  return planRebaseline({
    current: pinned,
    expected: pinned,
    observed: fallback,
    signedSha256: SIGNED,
    proof: {
      sha256: SIGNED,
      bytes: 0xb115,
      headers: { etag: FALLBACK_ETAG, 'last-modified': LAST_MODIFIED, 'content-length': '45333' },
      sweepId: 'sweep-2',
    },
    now: NOW,
    ...overrides,
  });
}

describe('compareMetadata', () => {
  it.each([
    [{ etag: '"x"' }, ['ETag']],
    [{ lastModified: 'Mon, 09 Nov 2026 12:00:00 GMT' }, ['Last-Modified']],
    [{ size: 1 }, ['size']],
    [{ etag: undefined }, ['ETag']],
    [{ size: undefined }, []],
  ])('names %o as %o', (change, fields) => {
    expect(compareMetadata(pinned, { ...pinned, ...change })).toEqual(fields);
  });
});

describe('the origin fallback', () => {
  it('is told by nginx ETags whose size part is the size, or by the worker’s cache-tag', () => {
    expect(isNginxEtag(FALLBACK_ETAG, 0xb115)).toBe(true);
    expect(isNginxEtag(FALLBACK_ETAG, 0xb116)).toBe(false);
    expect(isNginxEtag(`"${'a'.repeat(32)}-3"`, 3)).toBe(false);
    expect(isNginxEtag(R2_ETAG, 0xb115)).toBe(false);
    expect(
      isOriginFallbackResponse({
        'cache-tag': 'release-worker,release-worker:origin',
        etag: R2_ETAG,
      }),
    ).toBe(true);
    expect(
      isOriginFallbackResponse({
        'cache-tag': 'release-worker,release-worker:file',
        etag: R2_ETAG,
      }),
    ).toBe(false);
  });

  it('is the cause when its headers say so; a return to an earlier baseline is metadata-restored', () => {
    expect(
      classifyRebaselineCause(pinned, fallback, { etag: FALLBACK_ETAG, 'content-length': '45333' }),
    ).toBe('origin-fallback');
    const record = { from: pinned } as unknown as RebaselineRecord;
    const afterFallback: PinnedArtifact = {
      ...fallback,
      pinnedAt: pinned.pinnedAt,
      rebaselines: [record],
    };
    expect(classifyRebaselineCause(afterFallback, pinned, { etag: R2_ETAG })).toBe(
      'metadata-restored',
    );
    expect(classifyRebaselineCause(pinned, { ...pinned, etag: '"new"' }, { etag: '"new"' })).toBe(
      'republished',
    );
  });

  it('is the cause when R2 answers again for a file first pinned from the fallback, if Last-Modified stays', () => {
    // A release published during an R2 outage: its first pin holds the nginx ETag.
    const pinnedDuringOutage: PinnedArtifact = { ...fallback, pinnedAt: pinned.pinnedAt };
    const r2Again = { ...fallback, etag: R2_ETAG };
    expect(classifyRebaselineCause(pinnedDuringOutage, r2Again, { etag: R2_ETAG })).toBe(
      'origin-fallback',
    );
    // A new Last-Modified as well is a re-upload, whatever the pin came from.
    expect(
      classifyRebaselineCause(
        pinnedDuringOutage,
        { ...r2Again, lastModified: 'Mon, 09 Nov 2026 12:00:00 GMT' },
        { etag: R2_ETAG },
      ),
    ).toBe('republished');
    // Without Last-Modified on either side nothing says it is the same upload.
    const { lastModified: _pinnedLm, ...withoutLm } = pinnedDuringOutage;
    const { lastModified: _servedLm, ...servedWithoutLm } = r2Again;
    expect(classifyRebaselineCause(withoutLm, servedWithoutLm, { etag: R2_ETAG })).toBe(
      'republished',
    );
    // A pin whose ETag only looks like nginx's for another size is not from the fallback.
    expect(
      classifyRebaselineCause({ ...pinnedDuringOutage, size: 0xb116 }, r2Again, { etag: R2_ETAG }),
    ).toBe('republished');
  });
});

describe('planRebaseline', () => {
  it('moves the pin to the served metadata with an audit record, keeping when it was pinned', () => {
    const result = plan();
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.value.pin).toMatchObject({ ...fallback, pinnedAt: pinned.pinnedAt });
    expect(result.value.record).toEqual({
      at: NOW.toISOString(),
      cause: 'origin-fallback',
      changed: ['ETag'],
      from: { size: pinned.size, etag: R2_ETAG, lastModified: LAST_MODIFIED },
      to: fallback,
      sha256: SIGNED,
      bytes: 0xb115,
      sweepId: 'sweep-2',
    });
  });

  it.each([
    [
      'bytes that do not hash to the signed SHA-256',
      { proof: { sha256: 'd'.repeat(64), bytes: 0xb115, headers: {}, sweepId: 's' } },
      'hash-differs',
    ],
    [
      'another size',
      { proof: { sha256: SIGNED, bytes: 1, headers: {}, sweepId: 's' } },
      'size-changed',
    ],
    [
      'a pin that moved since the job was queued',
      { expected: { ...pinned, etag: '"older"' } },
      'pin-moved',
    ],
    [
      'a download served with other metadata than the HEAD saw',
      {
        proof: {
          sha256: SIGNED,
          bytes: 0xb115,
          headers: { etag: '"third"', 'last-modified': LAST_MODIFIED },
          sweepId: 's',
        },
      },
      'served-other-metadata',
    ],
    [
      'a pin already moved to it',
      { current: { ...fallback, pinnedAt: pinned.pinnedAt } },
      'already-rebaselined',
    ],
  ])('refuses %s', (_case, overrides, kind) => {
    const result = plan(overrides as Partial<Parameters<typeof planRebaseline>[0]>);
    expect(result).toEqual({ ok: false, error: expect.objectContaining({ kind }) });
  });

  it('keeps the last MAX_REBASELINE_RECORDS audit records', () => {
    const records = Array.from(
      { length: MAX_REBASELINE_RECORDS },
      (_, i) => ({ at: `r${i}` }) as unknown as RebaselineRecord,
    );
    const result = plan({ current: { ...pinned, rebaselines: records } });
    if (!result.ok) throw new Error('refused');
    expect(result.value.pin.rebaselines).toHaveLength(MAX_REBASELINE_RECORDS);
    expect(result.value.pin.rebaselines?.[0]?.at).toBe('r1');
  });
});

describe('rebaselineNotice', () => {
  it('is one P3 notice per cause, whatever the number of artifacts, subject <base>#<cause>', () => {
    const result = plan();
    if (!result.ok) throw new Error('refused');
    const artifacts = Array.from({ length: 56 }, (_, i) => ({
      url: `https://nodejs.org/dist/v24.11.1/file-${i}`,
      release: 'v24.11.1',
      name: `file-${i}`,
      record: result.value.record,
    }));
    const notice = rebaselineNotice('https://nodejs.org/dist', 'origin-fallback', artifacts);
    expect(notice).toMatchObject({
      kind: 'artifact-rebaselined',
      subject: 'https://nodejs.org/dist#origin-fallback',
      release: 'v24.11.1',
      evidence: { cause: 'origin-fallback', count: 56, omitted: 6 },
    });
    expect(notice.severity).toBeUndefined();
    expect((notice.evidence?.['artifacts'] as unknown[]).length).toBe(50);
  });
});

describe('isHashJob', () => {
  const job = {
    type: 'hash',
    version: 'v24.11.1',
    name: 'node.tar.gz',
    url: 'https://nodejs.org/dist/v24.11.1/node.tar.gz',
    expectedSha256: SIGNED,
    reason: 'metadata-changed',
    sweepId: 's',
  };

  it('takes a job with a well-formed metadata change, and refuses a malformed one', () => {
    expect(
      isHashJob({ ...job, rebaseline: { pinned, observed: fallback, changed: ['ETag'] } }),
    ).toBe(true);
    expect(
      isHashJob({ ...job, rebaseline: { pinned, observed: fallback, changed: ['colour'] } }),
    ).toBe(false);
    expect(
      isHashJob({
        ...job,
        rebaseline: { pinned: { size: 'big' }, observed: fallback, changed: [] },
      }),
    ).toBe(false);
    expect(isHashJob({ ...job, rebaseline: 'yes' })).toBe(false);
  });
});
