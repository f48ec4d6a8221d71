/**
 * Coverage of the hashing rotation, as the status endpoint states it: per release line,
 * how many of the files its signed manifests list had their bytes verified within the
 * rotation period ("v22.x: all 41 files verified within the last 7 days").
 *
 * Contract: pure; counts each artifact once by its latest hash result. A file whose latest
 * result is older than the period counts as stale, one never hashed as pending. Releases
 * whose manifest is not in the rotation's cache yet are counted apart, so a line is only
 * "complete" when nothing of it is unknown.
 */
import { parseVersion } from './versions';

export type HashResultKind = 'verified' | 'mismatch' | 'unverifiable';

/** One artifact of a cached manifest, with its latest hash result (times in ms). */
export interface CoverageArtifact {
  readonly version: string;
  readonly result?: HashResultKind;
  readonly at?: number;
}

export interface LineCoverage {
  /** e.g. `v22.x`. */
  readonly line: string;
  /** Releases of the line whose manifest the rotation knows. */
  readonly releases: number;
  /** Releases of the line listed but whose manifest is not cached (yet). */
  readonly manifestsPending: number;
  readonly files: number;
  readonly verifiedWithinPeriod: number;
  /** Verified, but longer ago than the period. */
  readonly stale: number;
  readonly neverHashed: number;
  readonly mismatched: number;
  readonly unverifiable: number;
  /** Every file of every release of the line verified within the period. */
  readonly complete: boolean;
  /** ISO time of the oldest verification among the line's files, when any. */
  readonly oldestVerifiedAt?: string;
  readonly summary: string;
}

export interface CoverageInput {
  readonly artifacts: readonly CoverageArtifact[];
  /** Versions listed whose manifest is not cached. */
  readonly pendingVersions: readonly string[];
  readonly now: number;
  readonly periodMs: number;
}

interface Tally {
  releases: Set<string>;
  manifestsPending: number;
  files: number;
  verifiedWithinPeriod: number;
  stale: number;
  neverHashed: number;
  mismatched: number;
  unverifiable: number;
  oldest: number | undefined;
}

/** Lines newest first (v0.x last). */
export function summarizeLineCoverage(input: CoverageInput): LineCoverage[] {
  const lines = new Map<number, Tally>();
  const tallyOf = (version: string): Tally => {
    const major = majorOf(version);
    let tally = lines.get(major);
    if (!tally) {
      tally = {
        releases: new Set(),
        manifestsPending: 0,
        files: 0,
        verifiedWithinPeriod: 0,
        stale: 0,
        neverHashed: 0,
        mismatched: 0,
        unverifiable: 0,
        oldest: undefined,
      };
      lines.set(major, tally);
    }
    return tally;
  };
  for (const artifact of input.artifacts) {
    const tally = tallyOf(artifact.version);
    tally.releases.add(artifact.version);
    tally.files += 1;
    switch (artifact.result) {
      case undefined:
        tally.neverHashed += 1;
        break;
      case 'mismatch':
        tally.mismatched += 1;
        break;
      case 'unverifiable':
        tally.unverifiable += 1;
        break;
      case 'verified': {
        const at = artifact.at ?? Number.NEGATIVE_INFINITY;
        if (input.now - at <= input.periodMs) tally.verifiedWithinPeriod += 1;
        else tally.stale += 1;
        if (tally.oldest === undefined || at < tally.oldest) tally.oldest = at;
        break;
      }
    }
  }
  for (const version of input.pendingVersions) tallyOf(version).manifestsPending += 1;

  const days = Math.round(input.periodMs / (24 * 60 * 60 * 1000));
  return [...lines.entries()]
    .sort(([a], [b]) => b - a)
    .map(([major, tally]) => {
      const line = major < 0 ? 'unknown' : `v${major}.x`;
      const complete =
        tally.manifestsPending === 0 &&
        tally.files > 0 &&
        tally.verifiedWithinPeriod === tally.files;
      return {
        line,
        releases: tally.releases.size,
        manifestsPending: tally.manifestsPending,
        files: tally.files,
        verifiedWithinPeriod: tally.verifiedWithinPeriod,
        stale: tally.stale,
        neverHashed: tally.neverHashed,
        mismatched: tally.mismatched,
        unverifiable: tally.unverifiable,
        complete,
        ...(tally.oldest !== undefined &&
          Number.isFinite(tally.oldest) && {
            oldestVerifiedAt: new Date(tally.oldest).toISOString(),
          }),
        summary: describe(line, tally, complete, days),
      };
    });
}

function describe(line: string, tally: Tally, complete: boolean, days: number): string {
  const period = `within the last ${days} day${days === 1 ? '' : 's'}`;
  if (complete) return `${line}: all ${tally.files} files verified ${period}`;
  const gaps = [
    tally.mismatched > 0 && `${tally.mismatched} mismatched`,
    tally.unverifiable > 0 && `${tally.unverifiable} unverifiable`,
    tally.stale > 0 && `${tally.stale} stale`,
    tally.neverHashed > 0 && `${tally.neverHashed} not hashed yet`,
    tally.manifestsPending > 0 &&
      `${tally.manifestsPending} release${tally.manifestsPending === 1 ? '' : 's'} awaiting a verified manifest`,
  ].filter((gap): gap is string => typeof gap === 'string');
  return `${line}: ${tally.verifiedWithinPeriod} of ${tally.files} files verified ${period}${gaps.length > 0 ? ` (${gaps.join(', ')})` : ''}`;
}

function majorOf(version: string): number {
  const parsed = parseVersion(version);
  return parsed.ok ? parsed.value.major : -1;
}
