/**
 * When did a release appear? The monitor remembers every version index.json ever listed and
 * when it first did, so that a release published after the monitor's baseline is judged as
 * brand-new (manifest-binding.ts rule 4: its signature must be fresh), while the archive
 * listed on the first sweep is taken on first use (v0.10.0, signed 2013 with SHA-1 by a key
 * retired since, must still verify).
 *
 * Contract: pure. `planReleaseSightings` returns the rows to add for the versions listed now
 * that the monitor has not seen: all `baseline` on the very first index, else `new`, first
 * seen `now` and not listed at `lastIndexAt` (the last index read before this one). A
 * monitor upgraded with history but no sightings takes the listed versions as baseline,
 * except any newer than the highest version it ever saw (those are new). Rows are never
 * rewritten: a release once seen keeps its first sighting.
 */
import type { CheckedEntry, PinnedIndexEntry } from './index-pins';
import type { ReleaseNovelty } from './manifest-binding';
import { compareVersions, parseVersion } from './versions';

/** What pinning and binding a release's manifest need to know of it. */
export interface ReleaseFacts {
  /** Its entry as index.json lists it today, when listed. */
  readonly listed?: CheckedEntry;
  /** Its entry as recorded when it was pinned, when it was. */
  readonly pinned?: PinnedIndexEntry;
  /** Whether it appeared after the monitor's baseline; undefined when never sighted. */
  readonly novelty?: ReleaseNovelty;
}

/** The first sighting of one release. Times are ISO-8601. */
export interface ReleaseSighting {
  readonly version: string;
  readonly firstSeenAt: string;
  /** The last index.json read before the one that listed it first; absent when unknown. */
  readonly notListedAt?: string;
  /** Listed when the monitor first read index.json: taken on first use. */
  readonly baseline: boolean;
}

export interface PlanSightingsInput {
  /** Versions already sighted. */
  readonly known: ReadonlySet<string>;
  readonly listed: readonly string[];
  readonly now: Date;
  /** When the previous valid index.json was read; undefined before the first. */
  readonly lastIndexAt?: string;
  /** The highest version index.json ever listed (index-rollback's history), if any. */
  readonly highestVersionSeen?: string;
}

export function planReleaseSightings(input: PlanSightingsInput): ReleaseSighting[] {
  const firstIndex = input.known.size === 0;
  const highest = input.highestVersionSeen ? parseVersion(input.highestVersionSeen) : undefined;
  const at = input.now.toISOString();
  const added: ReleaseSighting[] = [];
  for (const version of new Set(input.listed)) {
    if (input.known.has(version)) continue;
    let baseline = firstIndex;
    if (firstIndex && highest?.ok) {
      const parsed = parseVersion(version);
      baseline = !parsed.ok || compareVersions(parsed.value, highest.value) <= 0;
    }
    added.push({
      version,
      firstSeenAt: at,
      ...(!baseline && input.lastIndexAt !== undefined && { notListedAt: input.lastIndexAt }),
      baseline,
    });
  }
  return added;
}

/** How manifest binding sees a sighting; unknown releases are not treated as new. */
export function noveltyOf(sighting: ReleaseSighting | undefined): ReleaseNovelty | undefined {
  if (sighting === undefined) return undefined;
  if (sighting.baseline) return { kind: 'baseline' };
  return {
    kind: 'new',
    firstSeenAt: new Date(sighting.firstSeenAt),
    ...(sighting.notListedAt !== undefined && { notListedAt: new Date(sighting.notListedAt) }),
  };
}
