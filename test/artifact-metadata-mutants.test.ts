/**
 * Bytes decide integrity, and only the signed bytes move a pin (docs/reliability.md,
 * "Mutation testing"). A re-baseline accepts new metadata for an artifact, so each refusal
 * is a security decision: a hash that differs, a size that differs, a pin that moved, a
 * download that came with other metadata than the HEAD. The cause decides whether anyone
 * hears of it (`metadata-restored` is recorded only), so it is checked field by field.
 */
import { describe, expect, it } from 'vitest';
import {
  classifyRebaselineCause,
  compareMetadata,
  isNginxEtag,
  isNoticeCause,
  isOriginFallbackResponse,
  MAX_NOTICE_ARTIFACTS,
  metadataOf,
  planRebaseline,
  rebaselineNotice,
  type ArtifactMetadata,
  type PinnedArtifact,
  type RebaselineRecord,
} from '../src/core/artifact-metadata';

const NOW = new Date('2026-11-20T10:00:00Z');
const SIGNED = 'c'.repeat(64);
const LM = 'Sun, 08 Nov 2026 12:00:00 GMT';
const LM_LATER = 'Mon, 09 Nov 2026 12:00:00 GMT';
const SIZE = 4096;
const pin: PinnedArtifact = {
  size: SIZE,
  etag: '"r2-etag"',
  lastModified: LM,
  pinnedAt: '2026-11-08T13:00:00.000Z',
};
const moved: ArtifactMetadata = { size: SIZE, etag: '"new-etag"', lastModified: LM_LATER };
const headersOf = (meta: ArtifactMetadata): Record<string, string> => ({
  ...(meta.size !== undefined && { 'content-length': String(meta.size) }),
  ...(meta.etag !== undefined && { etag: meta.etag }),
  ...(meta.lastModified !== undefined && { 'last-modified': meta.lastModified }),
});

function plan(
  fields: {
    current?: PinnedArtifact;
    expected?: ArtifactMetadata;
    observed?: ArtifactMetadata;
    sha256?: string;
    bytes?: number;
    headers?: Record<string, string>;
  } = {},
) {
  const observed = fields.observed ?? moved;
  return planRebaseline({
    current: fields.current ?? pin,
    expected: fields.expected ?? fields.current ?? pin,
    observed,
    signedSha256: SIGNED,
    proof: {
      sha256: fields.sha256 ?? SIGNED,
      bytes: fields.bytes ?? SIZE,
      headers: fields.headers ?? headersOf(observed),
      sweepId: 'sweep-7',
    },
    now: NOW,
  });
}

const refusal = (result: ReturnType<typeof plan>) => (result.ok ? 'accepted' : result.error.kind);

describe('planRebaseline refuses everything but the signed bytes at the pinned size', () => {
  it('refuses a digest that differs from the signed one, even at the right size and metadata', () => {
    expect(refusal(plan({ sha256: `${SIGNED.slice(0, 63)}d` }))).toBe('hash-differs');
    expect(refusal(plan({ sha256: SIGNED.toUpperCase() }))).toBe('hash-differs');
    expect(refusal(plan({ sha256: '' }))).toBe('hash-differs');
  });

  it('refuses another byte count than the pinned size, one byte more or less', () => {
    expect(plan({ bytes: SIZE + 1 })).toEqual({
      ok: false,
      error: { kind: 'size-changed', pinned: SIZE, served: SIZE + 1 },
    });
    expect(refusal(plan({ bytes: SIZE - 1 }))).toBe('size-changed');
    expect(refusal(plan({ bytes: 0 }))).toBe('size-changed');
  });

  it('refuses when the pin moved since the job was queued, in either direction', () => {
    // The stored pin has a field the job's copy lacks, and the other way round.
    expect(refusal(plan({ expected: { size: SIZE, etag: pin.etag } }))).toBe('pin-moved');
    expect(
      refusal(
        plan({
          current: { size: SIZE, etag: pin.etag, pinnedAt: pin.pinnedAt },
          expected: { size: SIZE, etag: pin.etag, lastModified: LM },
        }),
      ),
    ).toBe('pin-moved');
    expect(refusal(plan({ expected: { ...pin, size: SIZE + 1 } }))).toBe('pin-moved');
  });

  it('refuses a download that came with another ETag or another Last-Modified than the HEAD saw', () => {
    expect(refusal(plan({ headers: headersOf({ ...moved, etag: '"third"' }) }))).toBe(
      'served-other-metadata',
    );
    const otherDate = plan({ headers: headersOf({ ...moved, lastModified: LM }) });
    expect(otherDate).toEqual({
      ok: false,
      error: {
        kind: 'served-other-metadata',
        served: { size: SIZE, etag: moved.etag, lastModified: LM },
      },
    });
    expect(refusal(plan({ headers: {} }))).toBe('served-other-metadata');
  });

  it('has nothing to do when the pin already holds the served metadata, a HEAD without length included', () => {
    const current = { ...moved, pinnedAt: pin.pinnedAt };
    expect(refusal(plan({ current }))).toBe('already-rebaselined');
    expect(refusal(plan({ current, observed: { etag: moved.etag, lastModified: LM_LATER } }))).toBe(
      'already-rebaselined',
    );
  });

  it('moves only the ETag or only Last-Modified, and names just the field that moved', () => {
    for (const [observed, changed] of [
      [{ ...pin, etag: '"new-etag"' }, ['ETag']],
      [{ ...pin, lastModified: LM_LATER }, ['Last-Modified']],
      [moved, ['ETag', 'Last-Modified']],
    ] as const) {
      const result = plan({ observed: { ...observed } });
      if (!result.ok) throw new Error(`refused: ${result.error.kind}`);
      expect(result.value.record.changed).toEqual(changed);
      expect(result.value.pin).toEqual({
        size: SIZE,
        etag: observed.etag,
        lastModified: observed.lastModified,
        pinnedAt: pin.pinnedAt,
        rebaselines: [result.value.record],
      });
    }
  });

  it('keeps the pinned size when the HEAD had none, and takes the size when the pin had none', () => {
    const withoutLength = plan({ observed: { etag: moved.etag, lastModified: LM_LATER } });
    if (!withoutLength.ok) throw new Error(`refused: ${withoutLength.error.kind}`);
    expect(withoutLength.value.pin.size).toBe(SIZE);
    expect(withoutLength.value.record.to).toEqual({ ...moved, size: SIZE });

    const unsized: PinnedArtifact = { etag: pin.etag, lastModified: LM, pinnedAt: pin.pinnedAt };
    const sized = plan({ current: unsized, bytes: 10, observed: { ...moved, size: 10 } });
    if (!sized.ok) throw new Error(`refused: ${sized.error.kind}`);
    expect(sized.value.pin.size).toBe(10);
    expect(sized.value.record.from).toEqual({ etag: pin.etag, lastModified: LM });
  });

  it('writes an audit record of what proved it, appended after the earlier ones', () => {
    const earlier = {
      at: 'earlier',
      from: { size: SIZE, etag: '"older"', lastModified: LM },
    } as unknown as RebaselineRecord;
    const result = plan({ current: { ...pin, rebaselines: [earlier] } });
    if (!result.ok) throw new Error(`refused: ${result.error.kind}`);
    expect(result.value.record).toEqual({
      at: NOW.toISOString(),
      cause: 'republished',
      changed: ['ETag', 'Last-Modified'],
      from: { size: SIZE, etag: pin.etag, lastModified: LM },
      to: moved,
      sha256: SIGNED,
      bytes: SIZE,
      sweepId: 'sweep-7',
    });
    expect(result.value.pin.rebaselines).toEqual([earlier, result.value.record]);
  });
});

describe('compareMetadata', () => {
  it('compares only what was pinned: a field the pin never saw is no change', () => {
    const old = { size: SIZE };
    expect(compareMetadata(old, { size: SIZE, etag: '"e"', lastModified: LM })).toEqual([]);
    expect(compareMetadata({}, moved)).toEqual([]);
    expect(compareMetadata({ etag: '"e"' }, { size: 1, etag: '"e"' })).toEqual([]);
  });
});

describe('metadata as served', () => {
  it('reads a Content-Length only when it is all digits', () => {
    expect(metadataOf({ 'content-length': '4096' })).toEqual({ size: 4096 });
    for (const length of ['', '4096 ', '-1', '4e3', '0x10', '12abc']) {
      expect(metadataOf({ 'content-length': length })).toEqual({});
    }
    expect(metadataOf({ etag: '"e"', 'last-modified': LM })).toEqual({
      etag: '"e"',
      lastModified: LM,
    });
    expect(metadataOf({})).toEqual({});
  });
});

describe('the origin fallback, as its headers tell it', () => {
  const mtime = 'deadbeef';
  it('is an nginx ETag only when its size part is the size, weak or strong, any case', () => {
    expect(isNginxEtag(`"${mtime}-1000"`, 0x1000)).toBe(true);
    expect(isNginxEtag(`W/"${mtime}-1000"`, 0x1000)).toBe(true);
    expect(isNginxEtag(` "${mtime.toUpperCase()}-1A" `, 0x1a)).toBe(true);
    expect(isNginxEtag(`"${mtime}-1000"`, 0x1001)).toBe(false);
    expect(isNginxEtag(`"${mtime}-1000"`, undefined)).toBe(false);
    expect(isNginxEtag(undefined, 0x1000)).toBe(false);
    expect(isNginxEtag(`${mtime}-1000`, 0x1000)).toBe(false);
    expect(isNginxEtag(`"${mtime}-1000"x`, 0x1000)).toBe(false);
    expect(isNginxEtag(`x"${mtime}-1000"`, 0x1000)).toBe(false);
    expect(isNginxEtag(`"${'1'.repeat(17)}-1000"`, 0x1000)).toBe(false);
    expect(isNginxEtag(`"${mtime}-${'0'.repeat(13)}1000"`, 0x1000)).toBe(false);
    expect(isNginxEtag(`"-1000"`, 0x1000)).toBe(false);
    expect(isNginxEtag(`"${mtime}-"`, 0)).toBe(false);
    expect(isNginxEtag(`"${mtime}-10g0"`, 0x10)).toBe(false);
  });

  it('is told by the worker’s cache-tag among others, exactly, or by an nginx ETag of the length served', () => {
    expect(isOriginFallbackResponse({ 'cache-tag': 'a, Release-Worker:Origin ,b' })).toBe(true);
    expect(isOriginFallbackResponse({ 'cache-tag': 'release-worker:origin-file' })).toBe(false);
    expect(isOriginFallbackResponse({ 'cache-tag': 'x-release-worker:origin' })).toBe(false);
    expect(isOriginFallbackResponse({})).toBe(false);
    expect(isOriginFallbackResponse({ etag: `"${mtime}-20"`, 'content-length': '32' })).toBe(true);
    expect(isOriginFallbackResponse({ etag: `"${mtime}-20"`, 'content-length': '33' })).toBe(false);
    // The metadata given wins over the headers' own.
    expect(isOriginFallbackResponse({ etag: '"r2"' }, { etag: `"${mtime}-20"`, size: 32 })).toBe(
      true,
    );
  });

  it('calls a change metadata-restored only when both ETag and Last-Modified are a baseline proven before', () => {
    const before = { size: SIZE, etag: '"r2"', lastModified: LM };
    const history: PinnedArtifact = {
      ...moved,
      pinnedAt: pin.pinnedAt,
      rebaselines: [
        { from: { size: SIZE, etag: '"older"', lastModified: LM } } as unknown as RebaselineRecord,
        { from: before } as unknown as RebaselineRecord,
      ],
    };
    expect(classifyRebaselineCause(history, before, {})).toBe('metadata-restored');
    expect(classifyRebaselineCause(history, { ...before, etag: '"r3"' }, {})).toBe('republished');
    expect(classifyRebaselineCause(history, { ...before, lastModified: LM_LATER }, {})).toBe(
      'republished',
    );
    expect(classifyRebaselineCause({ ...history, rebaselines: [] }, before, {})).toBe(
      'republished',
    );
    expect(classifyRebaselineCause(history, before, { 'cache-tag': 'release-worker:origin' })).toBe(
      'origin-fallback',
    );
  });
});

describe('rebaselineNotice', () => {
  const record = { cause: 'republished' } as unknown as RebaselineRecord;
  const artifact = (release: string, i: number) => ({
    url: `https://dist.test/dist/${release}/f${i}`,
    release,
    name: `f${i}`,
    record,
  });

  it('is raised for every cause but metadata-restored', () => {
    expect(isNoticeCause('origin-fallback')).toBe(true);
    expect(isNoticeCause('republished')).toBe(true);
    expect(isNoticeCause('metadata-restored')).toBe(false);
  });

  it('counts one artifact in the singular, names one release only when there is one', () => {
    const one = rebaselineNotice('https://dist.test/dist', 'republished', [artifact('v1.0.0', 0)]);
    expect(one.summary).toMatch(/^1 artifact was served with new ETag or Last-Modified/);
    expect(one).toMatchObject({
      subject: 'https://dist.test/dist#republished',
      observed: '1 re-baselined (republished)',
      release: 'v1.0.0',
    });
    expect(one.evidence?.['omitted']).toBeUndefined();

    const two = rebaselineNotice('https://dist.test/dist', 'republished', [
      artifact('v2.0.0', 0),
      artifact('v1.0.0', 1),
    ]);
    expect(two.summary).toMatch(/^2 artifacts were served/);
    expect(two.release).toBeUndefined();
  });

  it('lists at most MAX_NOTICE_ARTIFACTS and counts the rest', () => {
    const exactly = Array.from({ length: MAX_NOTICE_ARTIFACTS }, (_, i) => artifact('v1.0.0', i));
    expect(rebaselineNotice('b', 'republished', exactly).evidence?.['omitted']).toBeUndefined();
    const more = [...exactly, artifact('v1.0.0', MAX_NOTICE_ARTIFACTS)];
    const notice = rebaselineNotice('b', 'republished', more);
    expect(notice.evidence).toMatchObject({ count: MAX_NOTICE_ARTIFACTS + 1, omitted: 1 });
    expect((notice.evidence?.['artifacts'] as unknown[])[0]).toEqual({
      url: 'https://dist.test/dist/v1.0.0/f0',
      release: 'v1.0.0',
      name: 'f0',
      cause: 'republished',
    });
  });
});
