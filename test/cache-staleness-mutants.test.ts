/**
 * Stale is not poisoned, but only when it is exactly an older index (docs/reliability.md,
 * "Mutation testing"). The rule turns what would be a P0 `cache-poisoned` into a P3 notice,
 * so every way out of it must stay `different`: a copy the origin cannot vouch for, a
 * release added in the past, a cache that went back, a regional copy no one judged. The
 * pure cases of test/cache-stale.test.ts run only in workerd (that file drives the sweep);
 * these run in plain Node too, where the mutation run sees them.
 */
import { describe, expect, it } from 'vitest';
import {
  classifyCachedIndex,
  isExplainedByStaleCopy,
  sharedMaxAgeSeconds,
  staleCopyFinding,
  STALE_MARGIN_MS,
  type CopyEvidence,
  type IndexCopyVerdict,
} from '../src/core/cache-staleness';
import { createFinding, type Finding } from '../src/core/findings';

const INDEX = 'https://dist.test/dist/index.json';
const NOW = new Date('2026-11-20T10:00:00Z');
const OPTIONS = { maxBytes: 1 << 20 };

const entry = (version: string, extra: Record<string, unknown> = {}) => ({
  version,
  date: '2026-11-01',
  files: ['linux-x64', 'src'],
  v8: '13.0',
  lts: false,
  security: false,
  ...extra,
});
const text = (...entries: unknown[]) => JSON.stringify(entries);

function stale(verdict: IndexCopyVerdict): Extract<IndexCopyVerdict, { kind: 'stale' }> {
  if (verdict.kind !== 'stale') throw new Error(`expected stale, got ${JSON.stringify(verdict)}`);
  return verdict;
}

function reasonOf(verdict: IndexCopyVerdict): string {
  if (verdict.kind !== 'different') throw new Error(`expected different, got ${verdict.kind}`);
  return verdict.reason;
}

describe('classifyCachedIndex: stale only when exactly an older index', () => {
  it('is the same for byte-identical copies, whatever they hold', () => {
    const index = text(entry('v2.0.0'), entry('v1.0.0'));
    expect(classifyCachedIndex(index, index, OPTIONS)).toEqual({ kind: 'same' });
    // Identical bytes are the same even when they would not parse: nothing differs.
    expect(classifyCachedIndex('not json', 'not json', OPTIONS)).toEqual({ kind: 'same' });
  });

  it('names the newest of each copy and the missing releases newest first, whatever the order listed', () => {
    const cached = text(entry('v1.0.0'), entry('v1.2.0'), entry('v1.1.0'));
    const origin = text(
      entry('v1.1.0'),
      entry('v2.0.0'),
      entry('v1.0.0'),
      entry('v10.0.0'),
      entry('v1.2.0'),
      entry('v1.3.0'),
    );
    expect(classifyCachedIndex(cached, origin, OPTIONS)).toEqual({
      kind: 'stale',
      missing: ['v10.0.0', 'v2.0.0', 'v1.3.0'],
      cachedNewest: 'v1.2.0',
      originNewest: 'v10.0.0',
    });
  });

  it('treats the same fields in another key order as the same, nested ones included', () => {
    const upstream = { extra: { a: 1, b: [1, 2] } };
    const cached = text({ ...entry('v1.0.0'), extra: { b: [1, 2], a: 1 } });
    const origin = text(entry('v2.0.0', upstream), entry('v1.0.0', upstream));
    expect(stale(classifyCachedIndex(cached, origin, OPTIONS)).missing).toEqual(['v2.0.0']);
  });

  it('is different when a listed release changed any field, a file list’s order included', () => {
    const origin = text(entry('v2.0.0'), entry('v1.0.0'));
    for (const changed of [
      entry('v1.0.0', { files: ['src', 'linux-x64'] }),
      entry('v1.0.0', { files: ['linux-x64'] }),
      entry('v1.0.0', { lts: 'Jod' }),
      entry('v1.0.0', { extra: { a: 1 } }),
    ]) {
      expect(reasonOf(classifyCachedIndex(text(changed), origin, OPTIONS))).toBe(
        'v1.0.0 is listed with other fields in the cached copy',
      );
    }
  });

  it('is different when either copy does not parse, and says which', () => {
    const good = text(entry('v1.0.0'));
    const newer = text(entry('v2.0.0'), entry('v1.0.0'));
    expect(reasonOf(classifyCachedIndex('{"not": "a list"}', newer, OPTIONS))).toMatch(
      /^the cached copy is invalid \(/,
    );
    expect(reasonOf(classifyCachedIndex(good, '[{"version": "v2.', OPTIONS))).toMatch(
      /^the origin's copy is invalid \(/,
    );
    // The byte cap applies to both copies.
    expect(reasonOf(classifyCachedIndex(good, newer, { maxBytes: good.length + 1 }))).toMatch(
      /^the origin's copy is invalid \(too-large\)/,
    );
    expect(reasonOf(classifyCachedIndex(newer, good, { maxBytes: good.length + 1 }))).toMatch(
      /^the cached copy is invalid \(too-large\)/,
    );
  });

  it('is different when the cached copy lists a release the origin does not', () => {
    expect(
      reasonOf(classifyCachedIndex(text(entry('v3.0.0')), text(entry('v2.0.0')), OPTIONS)),
    ).toBe("the cached copy lists v3.0.0, the origin's does not");
  });

  it('is different when either copy lists nothing', () => {
    expect(reasonOf(classifyCachedIndex('[]', text(entry('v1.0.0')), OPTIONS))).toBe(
      'the cached copy is invalid (empty)',
    );
    expect(reasonOf(classifyCachedIndex(text(entry('v1.0.0')), '[]', OPTIONS))).toBe(
      "the origin's copy is invalid (empty)",
    );
  });

  it('is different when the origin adds nothing (the same releases in other bytes)', () => {
    const cached = text(entry('v2.0.0'), entry('v1.0.0'));
    const origin = text(entry('v1.0.0'), entry('v2.0.0'));
    expect(reasonOf(classifyCachedIndex(cached, origin, OPTIONS))).toBe(
      'both copies list the same releases in other bytes',
    );
  });

  it('is different when one added release is not newer than the cached copy’s newest', () => {
    // A release slipped in under the cached newest is not what a missing purge looks like.
    const cached = text(entry('v2.0.0'), entry('v1.0.0'));
    const origin = text(entry('v3.0.0'), entry('v2.0.0'), entry('v1.5.0'), entry('v1.0.0'));
    expect(reasonOf(classifyCachedIndex(cached, origin, OPTIONS))).toBe(
      'the cached copy lacks v1.5.0, which is not a newer release',
    );
  });

  it('is different when the cached copy is older than what the site served before, stale at or above it', () => {
    const cached = text(entry('v1.1.0'), entry('v1.0.0'));
    const origin = text(entry('v2.0.0'), entry('v1.1.0'), entry('v1.0.0'));
    expect(
      reasonOf(classifyCachedIndex(cached, origin, { ...OPTIONS, highestSeen: 'v1.2.0' })),
    ).toBe(
      "the cached copy's newest release v1.1.0 is older than v1.2.0, which the site served before",
    );
    expect(classifyCachedIndex(cached, origin, { ...OPTIONS, highestSeen: 'v1.1.0' }).kind).toBe(
      'stale',
    );
    expect(classifyCachedIndex(cached, origin, { ...OPTIONS, highestSeen: 'v1.0.0' }).kind).toBe(
      'stale',
    );
    // An index history that holds no version says nothing.
    expect(classifyCachedIndex(cached, origin, { ...OPTIONS, highestSeen: 'latest' }).kind).toBe(
      'stale',
    );
  });
});

describe('sharedMaxAgeSeconds', () => {
  it.each([
    ['public, max-age=3600, s-maxage=14400', 14_400],
    ['S-MaxAge=60 , Max-Age=600', 60],
    ['s-maxage=0, max-age=600', 0],
    ['s-maxage=soon, max-age=600', 600],
    ['s-maxage=-1, max-age=600', 600],
    ['max-age=600', 600],
    ['max-age=', 0],
    ['max-age=-5', 0],
    ['no-store', 0],
    ['', 0],
  ])('%s → %d', (policy, seconds) => {
    expect(sharedMaxAgeSeconds(policy)).toBe(seconds);
  });
});

describe('staleCopyFinding', () => {
  const S_MAXAGE = 14_400;
  const POLICY = `public, max-age=3600, s-maxage=${S_MAXAGE}`;
  const cachedCopy: CopyEvidence = {
    sha256: 'a'.repeat(64),
    bytes: 10,
    etag: '"old"',
    headers: {},
  };
  const originCopy: CopyEvidence = {
    sha256: 'b'.repeat(64),
    bytes: 20,
    etag: '"new"',
    headers: {},
  };
  const verdict = (missing: string[]) =>
    stale({ kind: 'stale', missing, cachedNewest: 'v1.0.0', originNewest: missing[0] ?? '' });
  const finding = (staleForMs: number, missing = ['v2.0.0']) =>
    staleCopyFinding({
      url: INDEX,
      verdict: verdict(missing),
      cached: cachedCopy,
      origin: originCopy,
      staleSince: new Date(NOW.getTime() - staleForMs),
      successPolicy: POLICY,
      now: NOW,
    });
  const LIMIT_MS = S_MAXAGE * 1000 + STALE_MARGIN_MS;

  it('is a P3 notice up to s-maxage plus the margin, and P2 one moment after', () => {
    expect(finding(0).severity).toBe('P3');
    expect(finding(LIMIT_MS).severity).toBe('P3');
    const overdue = finding(LIMIT_MS + 1000);
    expect(overdue.severity).toBe('P2');
    expect(overdue.summary).toMatch(
      /^The cached index\.json has been an older copy for 270 minutes/,
    );
    expect(overdue.summary).toContain('Purge it.');
  });

  it('keeps what it compared as evidence, the origin’s hash as expected and the cache’s as observed', () => {
    const notice = finding(90_000);
    expect(notice).toMatchObject({
      kind: 'cache-stale',
      subject: INDEX,
      expected: originCopy.sha256,
      observed: cachedCopy.sha256,
      observedAt: NOW.toISOString(),
    });
    expect(notice.evidence).toEqual({
      differences: ['bytes'],
      missingReleases: ['v2.0.0'],
      cachedNewest: 'v1.0.0',
      originNewest: 'v2.0.0',
      staleSince: new Date(NOW.getTime() - 90_000).toISOString(),
      staleForSeconds: 90,
      escalatesAfterSeconds: LIMIT_MS / 1000,
      cached: cachedCopy,
      origin: originCopy,
    });
    expect(notice.summary).toBe(
      `The cached index.json is an older, valid copy: the origin also lists v2.0.0. A purge is missing after a release; the edge refreshes it within s-maxage (${S_MAXAGE} s).`,
    );
  });

  it('counts no negative age when the clock is behind the first sighting', () => {
    const early = finding(-60_000);
    expect(early.severity).toBe('P3');
    expect(early.evidence['staleForSeconds']).toBe(0);
  });

  it('names ten missing releases and counts the rest; evidence keeps at most a hundred', () => {
    const many = Array.from({ length: 120 }, (_, i) => `v${200 - i}.0.0`);
    const notice = finding(0, many);
    expect(notice.summary).toContain(`${many.slice(0, 10).join(', ')} and 110 more.`);
    expect(notice.summary).not.toContain(many[10]);
    expect(notice.evidence['missingReleases']).toEqual(many.slice(0, 100));
    expect(finding(0, many.slice(0, 10)).summary).not.toContain('more');
  });
});

describe('isExplainedByStaleCopy: a regional cache-poisoned joins the notice only when it saw that copy', () => {
  const OLD = 'a'.repeat(64);
  const NEW = 'b'.repeat(64);
  const OTHER = 'c'.repeat(64);
  const staleNotice = (evidence: Record<string, unknown> = {}, subject = INDEX): Finding =>
    createFinding(
      {
        kind: 'cache-stale',
        subject,
        summary: 's',
        evidence: { cached: { sha256: OLD }, origin: { sha256: NEW }, ...evidence },
      },
      NOW,
    );
  const regional = (
    seen: Record<string, unknown>,
    fields: {
      kind?: 'cache-poisoned' | 'cache-policy-violation';
      regional?: unknown;
      named?: string[];
    } = {},
  ): Finding =>
    createFinding(
      {
        kind: fields.kind ?? 'cache-poisoned',
        subject: INDEX,
        summary: 'r',
        regions: fields.named ?? Object.keys(seen),
        evidence: { regional: 'regional' in fields ? fields.regional : true, regions: seen },
      },
      NOW,
    );
  const saw = (cached: string, origin?: string) => ({
    cached: { sha256: cached },
    ...(origin !== undefined && { origin: { sha256: origin } }),
  });

  it('explains regions that all saw the stale copy from cache and the current one (or none) from origin', () => {
    expect(
      isExplainedByStaleCopy(regional({ weur: saw(OLD, NEW), apac: saw(OLD) }), staleNotice()),
    ).toBe(true);
  });

  it('does not explain another kind, another subject, or a finding that is not regional', () => {
    const plain = regional({ weur: saw(OLD, NEW) });
    expect(isExplainedByStaleCopy(plain, staleNotice({}, `${INDEX}?x`))).toBe(false);
    expect(isExplainedByStaleCopy(plain, { ...staleNotice(), kind: 'cache-poisoned' })).toBe(false);
    expect(
      isExplainedByStaleCopy(
        regional({ weur: saw(OLD, NEW) }, { kind: 'cache-policy-violation' }),
        staleNotice(),
      ),
    ).toBe(false);
    for (const flag of [false, 'true', undefined]) {
      expect(
        isExplainedByStaleCopy(
          regional({ weur: saw(OLD, NEW) }, { regional: flag }),
          staleNotice(),
        ),
      ).toBe(false);
    }
  });

  it('does not explain a region served another copy from its cache or from its origin', () => {
    expect(
      isExplainedByStaleCopy(regional({ weur: saw(OLD, NEW), apac: saw(OTHER) }), staleNotice()),
    ).toBe(false);
    expect(isExplainedByStaleCopy(regional({ weur: saw(OLD, OTHER) }), staleNotice())).toBe(false);
    // A region served the current copy from its cache saw no stale copy at all.
    expect(isExplainedByStaleCopy(regional({ weur: saw(NEW, NEW) }), staleNotice())).toBe(false);
  });

  it('does not explain what it cannot read: no regions named, a named region without evidence, malformed hashes', () => {
    expect(isExplainedByStaleCopy(regional({ weur: saw(OLD) }, { named: [] }), staleNotice())).toBe(
      false,
    );
    expect(
      isExplainedByStaleCopy(
        regional({ weur: saw(OLD) }, { named: ['weur', 'apac'] }),
        staleNotice(),
      ),
    ).toBe(false);
    for (const seen of [
      null,
      'weur',
      { cached: OLD },
      { cached: { sha256: 1 } },
      { origin: { sha256: NEW } },
    ]) {
      expect(isExplainedByStaleCopy(regional({ weur: seen }), staleNotice())).toBe(false);
    }
    const nullRegions = createFinding(
      {
        kind: 'cache-poisoned',
        subject: INDEX,
        summary: 'r',
        regions: ['weur'],
        evidence: { regional: true, regions: null },
      },
      NOW,
    );
    expect(isExplainedByStaleCopy(nullRegions, staleNotice())).toBe(false);
    const withoutRegions = createFinding(
      {
        kind: 'cache-poisoned',
        subject: INDEX,
        summary: 'r',
        regions: ['weur'],
        evidence: { regional: true },
      },
      NOW,
    );
    expect(isExplainedByStaleCopy(withoutRegions, staleNotice())).toBe(false);
    const unnamed = createFinding(
      {
        kind: 'cache-poisoned',
        subject: INDEX,
        summary: 'r',
        evidence: { regional: true, regions: { weur: saw(OLD) } },
      },
      NOW,
    );
    expect(isExplainedByStaleCopy(unnamed, staleNotice())).toBe(false);
    // A notice whose cached copy has no hash explains nothing, even a region that saw none.
    expect(
      isExplainedByStaleCopy(regional({ weur: { cached: {} } }), staleNotice({ cached: {} })),
    ).toBe(false);
    expect(
      isExplainedByStaleCopy(regional({ weur: saw(OLD) }), staleNotice({ cached: null })),
    ).toBe(false);
  });
});
