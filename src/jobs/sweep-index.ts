/**
 * The index step of a sweep: fetch index.json, validate it, compare it with the history
 * (highest version ever seen, the watched set) and choose the releases to watch. When the
 * index cannot be had or parsed, the releases watched last time are watched again, so a
 * broken index never blinds the rest of the sweep. An index that looks broken or rolled
 * back is first compared with the origin's copy, so cache poisoning is called by its name.
 *
 * Pins outlive index.json (core/index-pins.ts): the watched set and the rotation are chosen
 * from index.json's entries overlaid with the pinned ones, pinned releases no longer listed
 * included, and a pinned release dropped or rewritten is a finding. The release registry
 * (durable/release-registry.ts) tells which listed releases are new since the baseline.
 */
import { sha256Hex } from '../core/digest';
import type { Finding } from '../core/findings';
import { parseIndexJson } from '../core/index-json';
import {
  compareIndexWithPins,
  indexEntryRewrittenFinding,
  overlayPinnedEntries,
  type CheckedEntry,
  type PinnedIndexEntry,
} from '../core/index-pins';
import {
  compareIndexWithHistory,
  indexInvalidFinding,
  type IndexHistory,
} from '../core/index-rollback';
import {
  noveltyOf,
  planReleaseSightings,
  type ReleaseFacts,
  type ReleaseSighting,
} from '../core/release-novelty';
import type { ReleaseRegistry } from '../durable/release-registry';
import { cacheBypassUrl, indexJsonUrl } from '../core/manifest-urls';
import { selectWatchedReleases } from '../core/watch-policy';
import {
  addFinding,
  addFindings,
  canRequest,
  observeError,
  observeResponse,
  type SweepContext,
} from './sweep-context';

export type { ReleaseFacts } from '../core/release-novelty';

export interface IndexStepResult {
  /** Versions to verify in depth, newest first. */
  readonly watched: readonly string[];
  /**
   * Every release to check when the index parsed: the listed ones (with their pinned facts
   * when pinned) and the pinned ones no longer listed. The rotation covers them all.
   */
  readonly entries?: readonly CheckedEntry[];
  /** The history to store, or undefined to keep the stored one unchanged. */
  readonly nextHistory?: IndexHistory;
  /** The index.json text as served, for the cache differential. */
  readonly text?: string;
  /** First sightings to record (only when the index parsed). */
  readonly sightings?: readonly ReleaseSighting[];
  /** Per version: listed and pinned entries, novelty. */
  readonly facts: ReadonlyMap<string, ReleaseFacts>;
}

export async function sweepIndex(
  ctx: SweepContext,
  history: IndexHistory | undefined,
  registry: ReleaseRegistry = { releases: [], silent: [] },
): Promise<IndexStepResult> {
  const url = indexJsonUrl(ctx.config.DIST_BASE_URL);
  const pinned = registry.releases.flatMap((release) => (release.pinned ? [release.pinned] : []));
  const fallback = { watched: history?.watched ?? [], facts: factsOf(registry, [], []) };
  const response = await ctx.client.getText(url, { maxBytes: ctx.config.MAX_INDEX_BYTES });
  if (!response.ok) {
    observeError(ctx, response.error);
    const error = response.error;
    if (
      error.kind === 'too-large' ||
      error.kind === 'invalid-utf8' ||
      (error.kind === 'status' && error.status < 500)
    ) {
      addFinding(ctx, {
        kind: 'index-invalid',
        subject: url,
        summary: `index.json could not be read: ${error.kind} (${error.detail}).`,
        expected: 'a JSON array of releases',
        observed: error.kind === 'status' ? `HTTP ${error.status}` : error.kind,
        evidence: { error: error.kind, detail: error.detail, status: error.status },
      });
    }
    return fallback;
  }
  observeResponse(ctx, response.value);
  let text = response.value.text;
  let judged = judgeIndex(ctx, text, history, pinned);
  if (judged.findings.length > 0) {
    // Before calling the index broken or rolled back, ask the origin: a cache that serves
    // another index than the origin is cache poisoning, and the origin's index is the truth.
    const origin = await fetchOriginIndex(ctx, url);
    if (origin !== undefined && origin !== text) {
      addFinding(ctx, {
        kind: 'cache-poisoned',
        subject: url,
        summary: 'The cached index.json differs from the origin’s copy.',
        expected: await sha256Hex(origin),
        observed: await sha256Hex(text),
        evidence: { differences: ['bytes'], cachedFindings: judged.findings.map((f) => f.kind) },
      });
      text = origin;
      judged = judgeIndex(ctx, text, history, pinned);
    }
  }
  addFindings(ctx, judged.findings);
  if (!judged.entries || !judged.listed) return { ...fallback, text };
  // A watched release that vanished stays watched: its manifest and artifacts are still checked.
  const vanished = (history?.watched ?? []).filter((version) => !judged.watched.includes(version));
  const sightings = planReleaseSightings({
    known: new Set(registry.releases.map((release) => release.version)),
    listed: judged.listed.map((entry) => entry.version),
    now: ctx.now,
    ...(registry.lastIndexAt !== undefined && { lastIndexAt: registry.lastIndexAt }),
    ...(history?.highestVersion !== undefined && { highestVersionSeen: history.highestVersion }),
  });
  return {
    watched: [...judged.watched, ...vanished],
    entries: judged.entries,
    ...(judged.nextHistory && { nextHistory: judged.nextHistory }),
    text,
    sightings,
    facts: factsOf(registry, judged.listed, sightings),
  };
}

function factsOf(
  registry: ReleaseRegistry,
  listed: readonly CheckedEntry[],
  sightings: readonly ReleaseSighting[],
): Map<string, ReleaseFacts> {
  const facts = new Map<string, ReleaseFacts>();
  const sightingOf = new Map<string, ReleaseSighting>(
    [...registry.releases, ...sightings].map((sighting) => [sighting.version, sighting]),
  );
  const listedOf = new Map(listed.map((entry) => [entry.version, entry]));
  const versions = new Set([...sightingOf.keys(), ...listedOf.keys()]);
  const pinnedOf = new Map(
    registry.releases.flatMap((release) =>
      release.pinned ? [[release.version, release.pinned] as const] : [],
    ),
  );
  for (const version of versions) {
    const novelty = noveltyOf(sightingOf.get(version));
    const entry = listedOf.get(version);
    const pin = pinnedOf.get(version);
    facts.set(version, {
      ...(entry && { listed: entry }),
      ...(pin && { pinned: pin }),
      ...(novelty && { novelty }),
    });
  }
  return facts;
}

interface JudgedIndex {
  readonly findings: readonly Finding[];
  readonly watched: readonly string[];
  /** index.json's entries as listed. */
  readonly listed?: readonly CheckedEntry[];
  /** The listed entries overlaid with the pinned ones, pinned releases no longer listed too. */
  readonly entries?: readonly CheckedEntry[];
  readonly nextHistory?: IndexHistory;
}

function judgeIndex(
  ctx: SweepContext,
  text: string,
  history: IndexHistory | undefined,
  pinned: readonly PinnedIndexEntry[],
): JudgedIndex {
  const parsed = parseIndexJson(text, { maxBytes: ctx.config.MAX_INDEX_BYTES });
  if (!parsed.ok) {
    return {
      findings: [indexInvalidFinding(parsed.error, ctx.config.DIST_BASE_URL, ctx.now)],
      watched: [],
    };
  }
  const entries = overlayPinnedEntries(parsed.value, pinned);
  const watched = selectWatchedReleases(
    entries,
    { newest: ctx.config.WATCH_NEWEST, lines: ctx.config.WATCH_LINES },
    ctx.now,
  ).map((release) => release.version);
  const comparison = compareIndexWithHistory(
    history,
    parsed.value,
    ctx.config.DIST_BASE_URL,
    ctx.now,
    watched.filter((version) => parsed.value.some((entry) => entry.version === version)),
    pinned.map((pin) => pin.version),
  );
  const drift = compareIndexWithPins(pinned, parsed.value);
  const rewritten = indexEntryRewrittenFinding(drift.rewritten, ctx.config.DIST_BASE_URL, ctx.now);
  return {
    findings: [...comparison.findings, ...(rewritten ? [rewritten] : [])],
    watched,
    listed: parsed.value,
    entries,
    nextHistory: comparison.nextHistory,
  };
}

async function fetchOriginIndex(ctx: SweepContext, url: string): Promise<string | undefined> {
  if (!canRequest(ctx, 'origin check index.json')) return undefined;
  const bypass = cacheBypassUrl(
    url,
    ctx.config.DIST_BASE_URL,
    ctx.config.ORIGIN_BASE_URL,
    ctx.sweepId,
  );
  const result = await ctx.client.getText(bypass, { maxBytes: ctx.config.MAX_INDEX_BYTES });
  if (!result.ok) {
    observeError(ctx, result.error);
    return undefined;
  }
  observeResponse(ctx, result.value);
  return result.value.text;
}
