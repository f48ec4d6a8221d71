import { describe, expect, it } from 'vitest';
import { indexErrorSummary, parseIndexJson, type IndexEntry } from '../src/core/index-json';
import {
  DEFAULT_LINE_MAX_AGE_DAYS,
  selectWatchedReleases,
  type WatchedRelease,
} from '../src/core/watch-policy';

const NOW = new Date('2025-11-20T12:00:00Z');

type Release = [version: string, date: string, lts: string | false];

/**
 * A realistic index on 2025-11-20, newest version first as upstream orders it:
 * v25 is Current; v24 "Krypton" and v22 "Jod" are LTS with recent releases; v23 is an odd
 * line that never became LTS; v20 "Iron" is still LTS in the index but its last release is
 * 264 days old (end-of-life by age); v18, v16 and v0.12 ended long ago.
 */
const RELEASES: Release[] = [
  ['v25.2.1', '2025-11-17', false],
  ['v25.2.0', '2025-11-11', false],
  ['v25.1.0', '2025-10-28', false],
  ['v25.0.0', '2025-10-15', false],
  ['v24.11.1', '2025-11-11', 'Krypton'],
  ['v24.11.0', '2025-10-28', 'Krypton'],
  ['v24.10.0', '2025-10-08', false],
  ['v24.0.0', '2025-05-06', false],
  ['v23.11.1', '2025-05-14', false],
  ['v23.0.0', '2024-10-16', false],
  ['v22.21.1', '2025-10-28', 'Jod'],
  ['v22.21.0', '2025-10-20', 'Jod'],
  ['v22.0.0', '2024-04-24', false],
  ['v20.19.5', '2025-03-01', 'Iron'],
  ['v20.19.4', '2025-02-10', 'Iron'],
  ['v18.20.5', '2024-11-12', 'Hydrogen'],
  ['v16.20.2', '2023-08-08', 'Gallium'],
  ['v0.12.18', '2017-02-22', false],
];

function indexOf(releases: readonly Release[]): IndexEntry[] {
  const text = JSON.stringify(
    releases.map(([version, date, lts]) => ({
      version,
      date,
      files: ['linux-x64', 'src', 'win-x64-msi'],
      npm: '11.6.2',
      v8: '13.6.233.10',
      lts,
      security: false,
    })),
  );
  const parsed = parseIndexJson(text, { maxBytes: 1024 * 1024 });
  if (!parsed.ok) throw new Error(`test setup: ${indexErrorSummary(parsed.error)}`);
  return parsed.value;
}

const INDEX = indexOf(RELEASES);

function summary(watched: readonly WatchedRelease[]): [string, ...string[]][] {
  return watched.map((w) => [w.version, ...w.reasons]);
}

function daysBefore(date: Date, days: number): string {
  return new Date(date.getTime() - days * 86_400_000).toISOString().slice(0, 10);
}

describe('selectWatchedReleases: default policy', () => {
  it('watches the newest release of Current and of every recent LTS line', () => {
    expect(summary(selectWatchedReleases(INDEX, { newest: 0 }, NOW))).toEqual([
      ['v25.2.1', 'newest-of-line v25'],
      ['v24.11.1', 'newest-of-line v24'],
      ['v22.21.1', 'newest-of-line v22'],
    ]);
  });

  it('treats an LTS line with no release within the age limit as end-of-life', () => {
    const versions = selectWatchedReleases(INDEX, { newest: 0 }, NOW).map((w) => w.version);
    expect(versions).not.toContain('v20.19.5');
    expect(versions).not.toContain('v18.20.5');
  });

  it('does not watch an odd line that never became LTS', () => {
    const lines = selectWatchedReleases(INDEX, { newest: 0 }, NOW).map((w) => w.line);
    expect(lines).not.toContain(23);
  });

  it('watches an LTS line again once it gets a recent release', () => {
    const index = indexOf([...RELEASES, ['v20.19.6', '2025-11-18', 'Iron']]);
    const watched = selectWatchedReleases(index, { newest: 0 }, NOW);
    expect(summary(watched)).toContainEqual(['v20.19.6', 'newest-of-line v20']);
  });

  it('uses the default age limit of 240 days, inclusive', () => {
    expect(DEFAULT_LINE_MAX_AGE_DAYS).toBe(240);
    const now = new Date('2025-11-20T00:00:00Z');
    const atLimit = indexOf([
      ['v25.0.0', '2025-11-01', false],
      ['v22.0.0', daysBefore(now, 240), 'Jod'],
      ['v20.0.0', daysBefore(now, 241), 'Iron'],
    ]);
    const versions = selectWatchedReleases(atLimit, { newest: 0 }, now).map((w) => w.version);
    expect(versions).toEqual(['v25.0.0', 'v22.0.0']);
  });

  it('honours a custom age limit', () => {
    const versions = selectWatchedReleases(INDEX, { newest: 0, lineMaxAgeDays: 300 }, NOW).map(
      (w) => w.version,
    );
    expect(versions).toEqual(['v25.2.1', 'v24.11.1', 'v22.21.1', 'v20.19.5']);
  });

  it('always watches the Current line, however old and whatever its LTS status', () => {
    const stale = indexOf([
      ['v25.2.1', '2023-01-01', false],
      ['v24.11.1', '2023-01-01', 'Krypton'],
    ]);
    expect(summary(selectWatchedReleases(stale, { newest: 0 }, NOW))).toEqual([
      ['v25.2.1', 'newest-of-line v25'],
    ]);
  });

  it('judges a line by its newest release, so a line not yet promoted to LTS is not a line', () => {
    // The days between v25.0.0 and v24's LTS promotion: rule 2 (newest overall) covers v24.
    const beforePromotion = indexOf([
      ['v25.0.0', '2025-10-15', false],
      ['v24.10.0', '2025-10-08', false],
      ['v24.9.0', '2025-09-25', false],
      ['v22.20.0', '2025-09-24', 'Jod'],
    ]);
    const now = new Date('2025-10-16T00:00:00Z');
    expect(summary(selectWatchedReleases(beforePromotion, { newest: 2 }, now))).toEqual([
      ['v25.0.0', 'newest-of-line v25', 'newest-overall'],
      ['v24.10.0', 'newest-overall'],
      ['v22.20.0', 'newest-of-line v22'],
    ]);
  });

  it('derives the lines when the explicit list is empty', () => {
    expect(selectWatchedReleases(INDEX, { newest: 0, lines: [] }, NOW)).toEqual(
      selectWatchedReleases(INDEX, { newest: 0 }, NOW),
    );
  });
});

describe('selectWatchedReleases: the newest releases overall', () => {
  it('adds the N most recently published releases, merging reasons', () => {
    expect(summary(selectWatchedReleases(INDEX, { newest: 3 }, NOW))).toEqual([
      ['v25.2.1', 'newest-of-line v25', 'newest-overall'],
      ['v25.2.0', 'newest-overall'],
      ['v24.11.1', 'newest-of-line v24', 'newest-overall'],
      ['v22.21.1', 'newest-of-line v22'],
    ]);
  });

  it('picks by publication date, so a fresh release of an unwatched line is watched at once', () => {
    const index = indexOf([...RELEASES, ['v23.11.2', '2025-11-19', false]]);
    expect(summary(selectWatchedReleases(index, { newest: 1 }, NOW))).toContainEqual([
      'v23.11.2',
      'newest-overall',
    ]);
  });

  it('returns every release once when N exceeds the index', () => {
    const watched = selectWatchedReleases(INDEX, { newest: 1000 }, NOW);
    expect(watched).toHaveLength(RELEASES.length);
    expect(new Set(watched.map((w) => w.version)).size).toBe(RELEASES.length);
  });

  it.each([
    ['zero', 0],
    ['negative', -5],
    ['not a number', Number.NaN],
  ])('adds none when N is %s', (_name, newest) => {
    const watched = selectWatchedReleases(INDEX, { newest }, NOW);
    expect(watched.every((w) => !w.reasons.includes('newest-overall'))).toBe(true);
  });
});

describe('selectWatchedReleases: explicit lines', () => {
  it('watches exactly the listed majors, even end-of-life ones', () => {
    expect(summary(selectWatchedReleases(INDEX, { newest: 0, lines: [22, 20] }, NOW))).toEqual([
      ['v22.21.1', 'newest-of-line v22'],
      ['v20.19.5', 'newest-of-line v20'],
    ]);
  });

  it('selects nothing for a major the index does not list', () => {
    expect(selectWatchedReleases(INDEX, { newest: 0, lines: [99] }, NOW)).toEqual([]);
  });

  it('still adds the newest releases overall', () => {
    expect(summary(selectWatchedReleases(INDEX, { newest: 1, lines: [16] }, NOW))).toEqual([
      ['v25.2.1', 'newest-overall'],
      ['v16.20.2', 'newest-of-line v16'],
    ]);
  });
});

describe('selectWatchedReleases: shape', () => {
  it('lists newest version first and does not depend on index order', () => {
    const shuffled = [...INDEX].reverse();
    expect(selectWatchedReleases(shuffled, { newest: 4 }, NOW)).toEqual(
      selectWatchedReleases(INDEX, { newest: 4 }, NOW),
    );
  });

  it('carries the index entry and the line', () => {
    const [current] = selectWatchedReleases(INDEX, { newest: 0 }, NOW);
    expect(current?.line).toBe(25);
    expect(current?.entry.files).toContain('win-x64-msi');
  });

  it('selects nothing from an empty index', () => {
    expect(selectWatchedReleases([], { newest: 3 }, NOW)).toEqual([]);
  });
});
