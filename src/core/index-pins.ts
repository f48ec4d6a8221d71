/**
 * Pins outlive index.json. index.json is served by the site the monitor watches, so it
 * cannot be what decides what gets checked: a release dropped from it, or an LTS entry
 * rewritten to `"lts": false`, would otherwise leave the watched set and the hashing
 * rotation without a word.
 *
 * Contract: pure. A pin records its release's index entry as first verified
 * (`PinnedIndexEntry`: version, date, lts, security, files). Then
 * - `compareIndexWithPins` says which pinned releases index.json no longer lists (reported
 *   as `index-rollback` by index-rollback.ts) and which entries it rewrote:
 *   a changed date, lts or security flag, or a file id no longer listed
 *   (`index-entry-rewritten`; files added later are not a finding, upstream adds builds);
 * - `overlayPinnedEntries` gives the entries the sweep decides on: every listed release,
 *   with its pinned facts where it has a pin, plus every pinned release no longer listed.
 * So pruning or rewriting index.json narrows nothing the monitor checks.
 */
import { createFinding, type Finding } from './findings';
import type { IndexEntry } from './index-json';
import { indexJsonUrl } from './manifest-urls';

/** The facts of a release's index.json entry that its pin keeps. */
export interface PinnedIndexEntry {
  readonly version: string;
  /** `YYYY-MM-DD`. */
  readonly date: string;
  readonly lts: string | false;
  readonly security: boolean;
  /** index.json file ids, e.g. `linux-x64`, `win-x64-msi`, `src`. */
  readonly files: readonly string[];
}

/** What the watch policy and the rotation need of an entry. */
export type CheckedEntry = Pick<IndexEntry, 'version' | 'date' | 'lts' | 'security' | 'files'>;

export type RewrittenField = 'date' | 'lts' | 'security' | 'files';

export interface EntryRewrite {
  readonly version: string;
  readonly changes: readonly {
    readonly field: RewrittenField;
    readonly pinned: unknown;
    readonly listed: unknown;
  }[];
}

export interface IndexPinComparison {
  /** Pinned releases index.json does not list, in the order the pins were given. */
  readonly removed: readonly string[];
  readonly rewritten: readonly EntryRewrite[];
}

/** Evidence lists are capped so a hostile index cannot bloat a finding. */
const MAX_LISTED = 50;

export function pinnedIndexEntryOf(entry: CheckedEntry): PinnedIndexEntry {
  return {
    version: entry.version,
    date: entry.date,
    lts: entry.lts,
    security: entry.security,
    files: [...entry.files].sort(),
  };
}

export function compareIndexWithPins(
  pinned: readonly PinnedIndexEntry[],
  listed: readonly CheckedEntry[],
): IndexPinComparison {
  const byVersion = new Map(listed.map((entry) => [entry.version, entry]));
  const removed: string[] = [];
  const rewritten: EntryRewrite[] = [];
  for (const pin of pinned) {
    const entry = byVersion.get(pin.version);
    if (entry === undefined) {
      removed.push(pin.version);
      continue;
    }
    const changes: EntryRewrite['changes'][number][] = [];
    if (entry.date !== pin.date)
      changes.push({ field: 'date', pinned: pin.date, listed: entry.date });
    if (entry.lts !== pin.lts) changes.push({ field: 'lts', pinned: pin.lts, listed: entry.lts });
    if (entry.security !== pin.security) {
      changes.push({ field: 'security', pinned: pin.security, listed: entry.security });
    }
    const now = new Set(entry.files);
    const dropped = pin.files.filter((id) => !now.has(id));
    if (dropped.length > 0) {
      changes.push({ field: 'files', pinned: pin.files, listed: [...entry.files].sort() });
    }
    if (changes.length > 0) rewritten.push({ version: pin.version, changes });
  }
  return { removed, rewritten };
}

/** One finding for every rewritten entry: one cause (the index served), one incident. */
export function indexEntryRewrittenFinding(
  rewritten: readonly EntryRewrite[],
  baseUrl: string,
  now: Date,
): Finding | undefined {
  const [first] = rewritten;
  if (first === undefined) return undefined;
  const describe = (rewrite: EntryRewrite) =>
    `${rewrite.version} (${rewrite.changes.map((change) => change.field).join(', ')})`;
  const named = rewritten.slice(0, 5).map(describe).join('; ');
  const more = rewritten.length > 5 ? ` and ${rewritten.length - 5} more` : '';
  return createFinding(
    {
      kind: 'index-entry-rewritten',
      subject: indexJsonUrl(baseUrl),
      summary: `index.json rewrote the entries of pinned releases: ${named}${more}. The monitor keeps checking them by their pinned facts.`,
      expected: 'every pinned release listed as it was when pinned',
      observed: `${rewritten.length} rewritten: ${describe(first)}${rewritten.length > 1 ? ', …' : ''}`,
      evidence: {
        rewritten: rewritten.slice(0, MAX_LISTED),
        rewrittenCount: rewritten.length,
      },
    },
    now,
  );
}

/**
 * The entries a sweep decides on: each listed release (with its pinned date, lts, security
 * and files when pinned; its files are the union, so a file id added later counts too),
 * then each pinned release index.json no longer lists.
 */
export function overlayPinnedEntries(
  listed: readonly CheckedEntry[],
  pinned: readonly PinnedIndexEntry[],
): CheckedEntry[] {
  const pins = new Map(pinned.map((pin) => [pin.version, pin]));
  const entries: CheckedEntry[] = listed.map((entry) => {
    const pin = pins.get(entry.version);
    if (pin === undefined) return entry;
    return {
      version: entry.version,
      date: pin.date,
      lts: pin.lts,
      security: pin.security,
      files: [...new Set([...pin.files, ...entry.files])].sort(),
    };
  });
  const listedVersions = new Set(listed.map((entry) => entry.version));
  for (const pin of pinned) {
    if (!listedVersions.has(pin.version)) entries.push({ ...pin, files: [...pin.files] });
  }
  return entries;
}
