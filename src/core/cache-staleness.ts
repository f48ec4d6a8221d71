/**
 * Stale is not poisoned: a cached index.json that the origin has moved past is a missing
 * purge, not an attack — as long as it is exactly an older index.
 *
 * Contract: pure. `classifyCachedIndex` compares the cached and the origin's index.json:
 * `stale` only when both parse, every release the cached copy lists is in the origin's with
 * the very same fields, the origin lists at least one release more and every release it
 * adds is newer than the cached copy's newest, and the cached copy is not older than the
 * newest release the monitor has already been served (a cache that goes back in time is not
 * a missing purge). Anything else is `different` (`cache-poisoned`). A stale copy is a
 * `cache-stale` notice (P3) that closes itself when the cache converges; it is raised to P2
 * once it has lasted longer than the success policy's `s-maxage` plus STALE_MARGIN_MS, since
 * an honest edge would have refreshed by then. The same reasoning for index.tab and the
 * `latest-*` directories is written down in docs/runbooks/cache-poisoning.md.
 */
import { createFinding, type Finding, type FindingInput } from './findings';
import { normaliseCacheControl } from './header-policy';
import { parseIndexJson, type IndexEntry } from './index-json';
import { compareVersions, parseVersion, type Version } from './versions';

/** Time past `s-maxage` a stale copy is given before the notice is raised to P2. */
export const STALE_MARGIN_MS = 30 * 60 * 1000;

export type IndexCopyVerdict =
  | { readonly kind: 'same' }
  | {
      readonly kind: 'stale';
      /** Releases the origin lists and the cache does not yet, newest first. */
      readonly missing: readonly string[];
      readonly cachedNewest: string;
      readonly originNewest: string;
    }
  | { readonly kind: 'different'; readonly reason: string };

/**
 * @param highestSeen the newest version the monitor was ever served in index.json before
 *   this sweep (its index history), if any
 */
export function classifyCachedIndex(
  cachedText: string,
  originText: string,
  options: { readonly maxBytes: number; readonly highestSeen?: string },
): IndexCopyVerdict {
  if (cachedText === originText) return { kind: 'same' };
  const cached = parseIndexJson(cachedText, { maxBytes: options.maxBytes });
  if (!cached.ok)
    return { kind: 'different', reason: `the cached copy is invalid (${cached.error.kind})` };
  const origin = parseIndexJson(originText, { maxBytes: options.maxBytes });
  if (!origin.ok)
    return { kind: 'different', reason: `the origin's copy is invalid (${origin.error.kind})` };

  const originByVersion = new Map(origin.value.map((entry) => [entry.version, entry]));
  for (const entry of cached.value) {
    const there = originByVersion.get(entry.version);
    if (there === undefined) {
      return {
        kind: 'different',
        reason: `the cached copy lists ${entry.version}, the origin's does not`,
      };
    }
    if (canonical(there) !== canonical(entry)) {
      return {
        kind: 'different',
        reason: `${entry.version} is listed with other fields in the cached copy`,
      };
    }
  }
  const cachedNewest = newestOf(cached.value);
  const originNewest = newestOf(origin.value);
  if (cachedNewest === undefined || originNewest === undefined) {
    return { kind: 'different', reason: 'a copy lists no parseable version' };
  }
  const cachedVersions = new Set(cached.value.map((entry) => entry.version));
  const added = origin.value.filter((entry) => !cachedVersions.has(entry.version));
  if (added.length === 0) {
    return { kind: 'different', reason: 'both copies list the same releases in other bytes' };
  }
  const notNewer = added.find((entry) => {
    const version = versionOf(entry.version);
    return version === undefined || compareVersions(version, cachedNewest.parsed) <= 0;
  });
  if (notNewer !== undefined) {
    return {
      kind: 'different',
      reason: `the cached copy lacks ${notNewer.version}, which is not a newer release`,
    };
  }
  const seen = options.highestSeen === undefined ? undefined : versionOf(options.highestSeen);
  if (seen !== undefined && compareVersions(cachedNewest.parsed, seen) < 0) {
    return {
      kind: 'different',
      reason: `the cached copy's newest release ${cachedNewest.text} is older than ${options.highestSeen}, which the site served before`,
    };
  }
  const missing = added
    .flatMap((entry) => {
      const parsed = versionOf(entry.version);
      return parsed === undefined ? [] : [{ text: entry.version, parsed }];
    })
    .sort((a, b) => compareVersions(b.parsed, a.parsed))
    .map((version) => version.text);
  return {
    kind: 'stale',
    missing,
    cachedNewest: cachedNewest.text,
    originNewest: originNewest.text,
  };
}

/** `s-maxage` of a Cache-Control policy (else `max-age`), in seconds; 0 when it has neither. */
export function sharedMaxAgeSeconds(cacheControl: string): number {
  const directives = normaliseCacheControl(cacheControl);
  const value = (name: string) => {
    const directive = directives.find((item) => item.startsWith(`${name}=`));
    const seconds = directive === undefined ? Number.NaN : Number(directive.slice(name.length + 1));
    return Number.isFinite(seconds) && seconds >= 0 ? seconds : undefined;
  };
  return value('s-maxage') ?? value('max-age') ?? 0;
}

/** One side of the comparison, as evidence keeps it. */
export interface CopyEvidence {
  readonly sha256: string;
  readonly bytes: number;
  readonly etag: string | null;
  readonly headers: Readonly<Record<string, string>>;
  readonly url?: string;
}

/**
 * The `cache-stale` notice: P3, P2 once the copy has been stale for longer than
 * `s-maxage` + STALE_MARGIN_MS (since `staleSince`, the first sweep that saw it).
 */
export function staleCopyFinding(input: {
  readonly url: string;
  readonly verdict: Extract<IndexCopyVerdict, { kind: 'stale' }>;
  readonly cached: CopyEvidence;
  readonly origin: CopyEvidence;
  readonly staleSince: Date;
  readonly successPolicy: string;
  readonly now: Date;
}): Finding {
  const { verdict, now } = input;
  const sMaxAge = sharedMaxAgeSeconds(input.successPolicy);
  const limitMs = sMaxAge * 1000 + STALE_MARGIN_MS;
  const ageMs = Math.max(0, now.getTime() - input.staleSince.getTime());
  const overdue = ageMs > limitMs;
  const missing = verdict.missing.slice(0, 10).join(', ');
  const more = verdict.missing.length > 10 ? ` and ${verdict.missing.length - 10} more` : '';
  const finding: FindingInput = {
    kind: 'cache-stale',
    subject: input.url,
    ...(overdue && { severity: 'P2' as const }),
    summary: overdue
      ? `The cached index.json has been an older copy for ${minutes(ageMs)} minutes, longer than s-maxage (${sMaxAge} s) and a margin: the edge is not refreshing it, and ${missing}${more} stay unlisted for users. Purge it.`
      : `The cached index.json is an older, valid copy: the origin also lists ${missing}${more}. A purge is missing after a release; the edge refreshes it within s-maxage (${sMaxAge} s).`,
    expected: input.origin.sha256,
    observed: input.cached.sha256,
    evidence: {
      differences: ['bytes'],
      missingReleases: verdict.missing.slice(0, 100),
      cachedNewest: verdict.cachedNewest,
      originNewest: verdict.originNewest,
      staleSince: input.staleSince.toISOString(),
      staleForSeconds: Math.round(ageMs / 1000),
      escalatesAfterSeconds: Math.round(limitMs / 1000),
      cached: input.cached,
      origin: input.origin,
    },
  };
  return createFinding(finding, now);
}

/**
 * Does a regional `cache-poisoned` finding show nothing but the stale copy this sweep judged?
 * True when every region named was served, from its cache, the copy judged stale, and from
 * the origin (when fetched) the copy judged current: then it is the same missing purge.
 */
export function isExplainedByStaleCopy(regional: Finding, stale: Finding): boolean {
  if (regional.kind !== 'cache-poisoned' || stale.kind !== 'cache-stale') return false;
  if (regional.subject !== stale.subject || regional.evidence['regional'] !== true) return false;
  const staleSha = shaOf(stale.evidence['cached']);
  const currentSha = shaOf(stale.evidence['origin']);
  const regions = regional.evidence['regions'];
  if (staleSha === undefined || typeof regions !== 'object' || regions === null) return false;
  const named = regional.regions ?? [];
  if (named.length === 0) return false;
  return named.every((region) => {
    const seen = (regions as Record<string, unknown>)[region];
    if (typeof seen !== 'object' || seen === null) return false;
    const record = seen as Record<string, unknown>;
    const originSha = shaOf(record['origin']);
    return (
      shaOf(record['cached']) === staleSha && (originSha === undefined || originSha === currentSha)
    );
  });
}

function shaOf(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const sha = (value as Record<string, unknown>)['sha256'];
  return typeof sha === 'string' ? sha : undefined;
}

function newestOf(entries: readonly IndexEntry[]): { text: string; parsed: Version } | undefined {
  let newest: { text: string; parsed: Version } | undefined;
  for (const entry of entries) {
    const parsed = versionOf(entry.version);
    if (
      parsed !== undefined &&
      (newest === undefined || compareVersions(parsed, newest.parsed) > 0)
    ) {
      newest = { text: entry.version, parsed };
    }
  }
  return newest;
}

function versionOf(text: string): Version | undefined {
  const parsed = parseVersion(text);
  return parsed.ok ? parsed.value : undefined;
}

/** JSON with sorted keys at every level: the same fields in another order are the same. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (typeof value === 'object' && value !== null) {
    const record = value as Record<string, unknown>;
    return `{${Object.keys(record)
      .sort()
      .map((key) => `${JSON.stringify(key)}:${canonical(record[key])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value) ?? 'undefined';
}

function minutes(ms: number): number {
  return Math.round(ms / 60_000);
}
