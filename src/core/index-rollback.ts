/**
 * Rollback detection for index.json, and the finding for an index that does not parse.
 *
 * Contract: the monitor remembers the highest version index.json ever listed and the
 * releases it watched, and it has pins. Releases are never unpublished, so an index whose
 * newest version is lower than the highest seen, or that no longer lists a watched or a
 * pinned release (pins outlive index.json: index-pins.ts), is an `index-rollback` (a stale cache, a restored backup, or someone serving an old index to
 * hide a release). Both cases make ONE finding whose subject is `<base>/index.json`: the
 * fingerprint stays the same however the set of missing releases changes, so it is one
 * incident; the versions are in `evidence`. The history never lowers its highest version,
 * and a dropped watched release stays in it, so the finding repeats every sweep until the
 * release is listed again (or an operator resets the history) instead of flapping shut
 * after one sweep (callers that overwrite `nextHistory.watched` give that up). A stored
 * highest version that does not parse is ignored. Pure: `now` is a parameter.
 */
import { createFinding, type Finding } from './findings';
import { indexErrorSummary, type IndexEntry, type IndexError } from './index-json';
import { indexJsonUrl } from './manifest-urls';
import { compareVersions, formatVersion, parseVersion, type Version } from './versions';

/** What the monitor remembers of index.json between sweeps (kept in KV by the caller). */
export interface IndexHistory {
  /** Highest version ever listed; absent before the first valid index. */
  readonly highestVersion?: string;
  /** Releases watched as of the last sweep (see watch-policy.ts), plus any still missing. */
  readonly watched: string[];
}

export interface IndexComparison {
  /** At most one `index-rollback` finding. */
  readonly findings: Finding[];
  /** The history to store for the next sweep. */
  readonly nextHistory: IndexHistory;
}

/** Evidence lists are capped so a corrupted history cannot bloat a finding. */
const MAX_LISTED_VERSIONS = 100;
/** Versions named in the one-line summary; the rest are counted. */
const MAX_SUMMARY_VERSIONS = 10;

/**
 * @param history what the last sweep stored, or `undefined` on the first sweep
 * @param entries the current, valid index
 * @param currentWatched the versions this sweep watches (selectWatchedReleases); when
 *   omitted, the stored watched set is carried over unchanged
 */
export function compareIndexWithHistory(
  history: IndexHistory | undefined,
  entries: readonly Pick<IndexEntry, 'version'>[],
  baseUrl: string,
  now: Date,
  currentWatched?: readonly string[],
  pinnedVersions: readonly string[] = [],
): IndexComparison {
  const listed = new Set(entries.map((entry) => entry.version));
  const newestListed = highestOf(entries.map((entry) => entry.version));
  const highestSeen = highestOf(
    history?.highestVersion === undefined ? [] : [history.highestVersion],
  );

  const wentBack =
    highestSeen !== undefined &&
    (newestListed === undefined || compareVersions(newestListed, highestSeen) < 0);
  const missingWatched = sortNewestFirst(
    unique((history?.watched ?? []).filter((v) => !listed.has(v))),
  );
  const missingPinned = sortNewestFirst(unique(pinnedVersions.filter((v) => !listed.has(v))));
  const missing = sortNewestFirst(unique([...missingWatched, ...missingPinned]));

  const findings: Finding[] = [];
  if (wentBack || missing.length > 0) {
    findings.push(
      rollbackFinding({
        baseUrl,
        now,
        highestSeen: highestSeen && formatVersion(highestSeen),
        newestListed: newestListed && formatVersion(newestListed),
        wentBack,
        missing,
        missingWatched,
        missingPinned,
        listedCount: listed.size,
      }),
    );
  }

  const highest = later(highestSeen, newestListed);
  return {
    findings,
    nextHistory: {
      ...(highest !== undefined && { highestVersion: formatVersion(highest) }),
      watched: sortNewestFirst(
        unique([...(currentWatched ?? history?.watched ?? []), ...missingWatched]),
      ),
    },
  };
}

/** The `index-invalid` finding for an index that was rejected, with the reason. */
export function indexInvalidFinding(error: IndexError, baseUrl: string, now: Date): Finding {
  const { kind: reason, ...details } = error;
  return createFinding(
    {
      kind: 'index-invalid',
      subject: indexJsonUrl(baseUrl),
      summary: indexErrorSummary(error),
      expected: 'a JSON array of release entries',
      observed: reason,
      evidence: { reason, ...details },
    },
    now,
  );
}

interface RollbackFacts {
  readonly baseUrl: string;
  readonly now: Date;
  readonly highestSeen: string | undefined;
  readonly newestListed: string | undefined;
  readonly wentBack: boolean;
  readonly missing: readonly string[];
  readonly missingWatched: readonly string[];
  readonly missingPinned: readonly string[];
  readonly listedCount: number;
}

function rollbackFinding(facts: RollbackFacts): Finding {
  const newest = facts.newestListed ?? 'no release';
  const parts: string[] = [];
  if (facts.wentBack) {
    parts.push(`went back from ${facts.highestSeen ?? '?'} to ${newest}`);
  }
  if (facts.missing.length > 0) {
    const what =
      facts.missingPinned.length === 0
        ? 'watched'
        : facts.missingWatched.length === 0
          ? 'pinned'
          : 'watched or pinned';
    parts.push(`no longer lists ${what} ${nameVersions(facts.missing)}`);
  }
  return createFinding(
    {
      kind: 'index-rollback',
      subject: indexJsonUrl(facts.baseUrl),
      summary: `index.json ${parts.join(' and ')}`,
      ...(facts.wentBack
        ? { expected: facts.highestSeen, observed: newest }
        : {
            expected: 'every watched and pinned release listed',
            observed: `missing ${facts.missing.slice(0, MAX_SUMMARY_VERSIONS).join(', ')}`,
          }),
      evidence: {
        highestVersionSeen: facts.highestSeen ?? null,
        newestVersionListed: facts.newestListed ?? null,
        wentBack: facts.wentBack,
        missingWatched: facts.missingWatched.slice(0, MAX_LISTED_VERSIONS),
        missingWatchedCount: facts.missingWatched.length,
        missingPinned: facts.missingPinned.slice(0, MAX_LISTED_VERSIONS),
        missingPinnedCount: facts.missingPinned.length,
        listedCount: facts.listedCount,
      },
    },
    facts.now,
  );
}

function nameVersions(versions: readonly string[]): string {
  const named = versions.slice(0, MAX_SUMMARY_VERSIONS).join(', ');
  const more = versions.length - MAX_SUMMARY_VERSIONS;
  const noun = versions.length === 1 ? 'release' : 'releases';
  return more > 0 ? `${noun} ${named} and ${more} more` : `${noun} ${named}`;
}

/** The highest of the versions that parse, or undefined when none does. */
function highestOf(versions: readonly string[]): Version | undefined {
  let highest: Version | undefined;
  for (const text of versions) {
    const parsed = parseVersion(text);
    if (parsed.ok) highest = later(highest, parsed.value);
  }
  return highest;
}

function later(a: Version | undefined, b: Version | undefined): Version | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return compareVersions(a, b) >= 0 ? a : b;
}

function unique(values: readonly string[]): string[] {
  return [...new Set(values)];
}

/** Versions newest first; anything that does not parse goes last, in string order. */
function sortNewestFirst(versions: readonly string[]): string[] {
  return [...versions].sort((a, b) => {
    const pa = parseVersion(a);
    const pb = parseVersion(b);
    if (pa.ok && pb.ok) return compareVersions(pb.value, pa.value);
    if (pa.ok !== pb.ok) return pa.ok ? -1 : 1;
    return a < b ? -1 : a > b ? 1 : 0;
  });
}
