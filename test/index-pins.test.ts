/**
 * Pins outlive index.json (src/core/index-pins.ts) and first sightings
 * (src/core/release-novelty.ts): what a pruned or rewritten index changes, and what it
 * cannot.
 */
import { describe, expect, it } from 'vitest';
import {
  compareIndexWithPins,
  indexEntryRewrittenFinding,
  overlayPinnedEntries,
  pinnedIndexEntryOf,
  type CheckedEntry,
} from '../src/core/index-pins';
import { noveltyOf, planReleaseSightings } from '../src/core/release-novelty';
import { selectWatchedReleases } from '../src/core/watch-policy';

const NOW = new Date('2026-11-20T10:00:00Z');
const BASE = 'https://dist.test/dist';

const entry = (
  version: string,
  date: string,
  lts: string | false,
  files = ['linux-x64', 'src'],
  security = false,
): CheckedEntry => ({ version, date, lts, security, files });

const LISTED: CheckedEntry[] = [
  entry('v25.2.0', '2026-11-14', false),
  entry('v24.11.1', '2026-11-08', 'Krypton'),
  entry('v22.21.0', '2026-10-18', 'Jod', ['linux-x64', 'src', 'win-x64-msi'], true),
];
const PINNED = LISTED.map(pinnedIndexEntryOf);

describe('compareIndexWithPins', () => {
  it('finds nothing when index.json lists every pinned release as pinned', () => {
    expect(compareIndexWithPins(PINNED, LISTED)).toEqual({ removed: [], rewritten: [] });
  });

  it('names a pinned release index.json no longer lists', () => {
    expect(compareIndexWithPins(PINNED, LISTED.slice(0, 2)).removed).toEqual(['v22.21.0']);
  });

  it.each<[string, Partial<CheckedEntry>, string[]]>([
    ['lts turned false', { lts: false }, ['lts']],
    ['another date', { date: '2026-01-01' }, ['date']],
    ['security cleared', { security: false }, ['security']],
    ['a file id dropped', { files: ['linux-x64', 'src'] }, ['files']],
  ])('calls %s a rewrite', (_label, change, fields) => {
    const listed = LISTED.map((e) => (e.version === 'v22.21.0' ? { ...e, ...change } : e));
    const { rewritten } = compareIndexWithPins(PINNED, listed);
    expect(rewritten.map((r) => [r.version, ...r.changes.map((c) => c.field)])).toEqual([
      ['v22.21.0', ...fields],
    ]);
  });

  it('does not call a file id added later a rewrite', () => {
    const listed = LISTED.map((e) =>
      e.version === 'v25.2.0' ? { ...e, files: [...e.files, 'win-arm64-zip'] } : e,
    );
    expect(compareIndexWithPins(PINNED, listed).rewritten).toEqual([]);
  });

  it('makes one index-entry-rewritten finding for every rewrite, on index.json', () => {
    const listed = LISTED.map((e) => ({ ...e, lts: false as const }));
    const { rewritten } = compareIndexWithPins(PINNED, listed);
    const finding = indexEntryRewrittenFinding(rewritten, BASE, NOW);
    expect(finding).toMatchObject({
      kind: 'index-entry-rewritten',
      severity: 'P1',
      subject: `${BASE}/index.json`,
    });
    expect(finding?.summary).toContain('v24.11.1 (lts)');
    expect(indexEntryRewrittenFinding([], BASE, NOW)).toBeUndefined();
  });
});

describe('overlayPinnedEntries', () => {
  it('keeps watching an LTS line whose entry was rewritten to lts: false', () => {
    const rewritten = LISTED.map((e) => ({ ...e, lts: false as const }));
    const watched = (entries: readonly CheckedEntry[]) =>
      selectWatchedReleases(entries, { newest: 0 }, NOW).map((w) => w.version);
    expect(watched(rewritten)).toEqual(['v25.2.0']);
    expect(watched(overlayPinnedEntries(rewritten, PINNED))).toEqual([
      'v25.2.0',
      'v24.11.1',
      'v22.21.0',
    ]);
  });

  it('keeps a pinned release index.json no longer lists', () => {
    const versions = overlayPinnedEntries(LISTED.slice(1), PINNED).map((e) => e.version);
    expect(versions.sort()).toEqual(['v22.21.0', 'v24.11.1', 'v25.2.0']);
  });

  it('passes releases without a pin through as listed', () => {
    const fresh = entry('v25.3.0', '2026-11-19', false);
    expect(overlayPinnedEntries([fresh, ...LISTED], PINNED)[0]).toEqual(fresh);
  });
});

describe('planReleaseSightings', () => {
  const listed = ['v25.2.0', 'v24.11.1'];

  it('takes everything listed on the first index as baseline', () => {
    const added = planReleaseSightings({ known: new Set(), listed, now: NOW });
    expect(added.map((s) => [s.version, s.baseline])).toEqual([
      ['v25.2.0', true],
      ['v24.11.1', true],
    ]);
    expect(noveltyOf(added[0])).toEqual({ kind: 'baseline' });
  });

  it('calls a release listed later new, not listed at the previous index', () => {
    const added = planReleaseSightings({
      known: new Set(listed),
      listed: ['v25.3.0', ...listed],
      now: NOW,
      lastIndexAt: '2026-11-20T09:55:00.000Z',
    });
    expect(added).toEqual([
      {
        version: 'v25.3.0',
        firstSeenAt: NOW.toISOString(),
        notListedAt: '2026-11-20T09:55:00.000Z',
        baseline: false,
      },
    ]);
    expect(noveltyOf(added[0])).toMatchObject({ kind: 'new', firstSeenAt: NOW });
  });

  it('after an upgrade, calls new only what is newer than the highest version ever seen', () => {
    const added = planReleaseSightings({
      known: new Set(),
      listed: ['v25.3.0', ...listed],
      now: NOW,
      highestVersionSeen: 'v25.2.0',
    });
    expect(added.map((s) => [s.version, s.baseline])).toEqual([
      ['v25.3.0', false],
      ['v25.2.0', true],
      ['v24.11.1', true],
    ]);
  });

  it('never sights a release twice', () => {
    expect(planReleaseSightings({ known: new Set(listed), listed, now: NOW })).toEqual([]);
  });
});
