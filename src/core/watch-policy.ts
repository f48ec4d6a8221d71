/**
 * The watch policy: which releases a sweep verifies in depth (signature, pins, HEADs).
 *
 * Contract — the default policy, when `lines` is not given:
 *   1. the newest release of every release line still supported, which is
 *      - the newest major line (Current), whatever its age or LTS status, and
 *      - every other line whose newest release is LTS (`lts` is a codename) and was
 *        released within `lineMaxAgeDays` (default 240) of `now`. A line that stopped
 *        getting releases is end-of-life even while index.json still calls it LTS, and
 *        odd lines never become LTS;
 *   2. plus the `newest` most recently published releases overall (by release date,
 *      newer version first on the same day), so a fresh release is verified at once even
 *      when it belongs to no watched line (e.g. an odd line in its last weeks).
 * With `lines` (explicit majors), rule 1 is exactly the newest release of each listed
 * major present in the index; majors absent from the index select nothing (a vanished
 * watched release is index-rollback's business). Rule 2 applies either way.
 * The result is deduplicated, newest version first, each release carrying every reason
 * it was chosen. Pure: `now` is a parameter.
 */
import type { IndexEntry } from './index-json';
import { compareVersions, majorLine, parseVersion, type Version } from './versions';

export const DEFAULT_LINE_MAX_AGE_DAYS = 240;

export interface WatchPolicy {
  /** How many of the most recently published releases to add, whatever their line. */
  readonly newest: number;
  /** Explicit majors to watch the newest release of; empty or absent = derive (see header). */
  readonly lines?: readonly number[];
  /** A non-Current line whose newest release is older than this is end-of-life. */
  readonly lineMaxAgeDays?: number;
}

/** Why a release is watched: `newest-of-line v22`, or among the newest published overall. */
export type WatchReason = `newest-of-line v${number}` | 'newest-overall';

/**
 * What the policy reads of an entry. The sweep hands it index.json's entries overlaid with
 * the pinned facts (index-pins.ts), so a rewritten `lts` or date narrows nothing.
 */
export type WatchableEntry = Pick<IndexEntry, 'version' | 'date' | 'lts'>;

/** A release the sweep verifies in depth. */
export interface WatchedRelease<E extends WatchableEntry = IndexEntry> {
  readonly version: string;
  readonly line: number;
  readonly entry: E;
  readonly reasons: readonly WatchReason[];
}

const DAY_MS = 24 * 60 * 60 * 1000;

interface Release<E extends WatchableEntry = WatchableEntry> {
  readonly entry: E;
  readonly version: Version;
}

export function selectWatchedReleases<E extends WatchableEntry>(
  entries: readonly E[],
  policy: WatchPolicy,
  now: Date,
): WatchedRelease<E>[] {
  const releases = parseReleases(entries);
  const newestOfLine = newestReleasePerLine(releases);
  const lines =
    policy.lines !== undefined && policy.lines.length > 0
      ? new Set(policy.lines)
      : supportedLines(newestOfLine, policy.lineMaxAgeDays ?? DEFAULT_LINE_MAX_AGE_DAYS, now);

  const chosen = new Map<string, { release: Release<E>; reasons: WatchReason[] }>();
  const choose = (release: Release<E>, reason: WatchReason): void => {
    const existing = chosen.get(release.entry.version);
    if (existing === undefined) chosen.set(release.entry.version, { release, reasons: [reason] });
    else if (!existing.reasons.includes(reason)) existing.reasons.push(reason);
  };

  for (const [line, release] of [...newestOfLine].sort(([a], [b]) => b - a)) {
    if (lines.has(line)) choose(release, `newest-of-line v${line}`);
  }
  const count = Number.isFinite(policy.newest) ? Math.max(0, Math.floor(policy.newest)) : 0;
  for (const release of [...releases].sort(byPublicationNewestFirst).slice(0, count)) {
    choose(release, 'newest-overall');
  }

  return [...chosen.values()]
    .sort((a, b) => compareVersions(b.release.version, a.release.version))
    .map(({ release, reasons }) => ({
      version: release.entry.version,
      line: majorLine(release.version),
      entry: release.entry,
      reasons,
    }));
}

/** Entries from parseIndexJson always parse; anything else is skipped, not guessed at. */
function parseReleases<E extends WatchableEntry>(entries: readonly E[]): Release<E>[] {
  const releases: Release<E>[] = [];
  for (const entry of entries) {
    const version = parseVersion(entry.version);
    if (version.ok) releases.push({ entry, version: version.value });
  }
  return releases;
}

function newestReleasePerLine<E extends WatchableEntry>(
  releases: readonly Release<E>[],
): Map<number, Release<E>> {
  const newest = new Map<number, Release<E>>();
  for (const release of releases) {
    const line = majorLine(release.version);
    const current = newest.get(line);
    if (current === undefined || compareVersions(release.version, current.version) > 0) {
      newest.set(line, release);
    }
  }
  return newest;
}

function supportedLines(
  newestOfLine: ReadonlyMap<number, Release>,
  maxAgeDays: number,
  now: Date,
): Set<number> {
  const lines = new Set<number>();
  if (newestOfLine.size === 0) return lines;
  lines.add(Math.max(...newestOfLine.keys()));
  for (const [line, release] of newestOfLine) {
    const isLts = typeof release.entry.lts === 'string';
    if (isLts && ageInDays(release.entry.date, now) <= maxAgeDays) lines.add(line);
  }
  return lines;
}

/** Days from the release date (UTC midnight) to `now`; a date in the future counts as 0. */
function ageInDays(date: string, now: Date): number {
  const released = Date.parse(`${date}T00:00:00Z`);
  if (Number.isNaN(released)) return Number.POSITIVE_INFINITY;
  return Math.max(0, (now.getTime() - released) / DAY_MS);
}

function byPublicationNewestFirst(a: Release, b: Release): number {
  // ISO dates compare correctly as strings.
  if (a.entry.date !== b.entry.date) return a.entry.date < b.entry.date ? 1 : -1;
  return compareVersions(b.version, a.version);
}
