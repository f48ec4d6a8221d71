/**
 * The manifest rotation (issue: every signed manifest of the archive re-checked): a few
 * pinned releases per sweep that are not watched get their SHASUMS256.txt, `.sig` and `.asc`
 * fetched again, verified, bound and compared with their pin, exactly as a watched release's
 * are (sweep-manifest.ts), so the whole archive is re-checked within a day
 * (core/manifest-recheck-plan.ts). A release whose signed files are currently not served
 * is re-checked every sweep, so its silence escalates on time.
 */
import {
  defaultRecheckPolicy,
  MANIFEST_RECHECK_COST,
  planManifestRechecks,
  type RecheckCandidate,
} from '../core/manifest-recheck-plan';
import { PinStoreError } from '../adapters/pin-store';
import type { ReleaseRegistry } from '../durable/release-registry';
import { notePinnedEntry, withIndexEntry } from './release-pin';
import { skip, type SweepContext } from './sweep-context';
import type { ReleaseFacts } from './sweep-index';
import { sweepManifest, type TrustedKeys } from './sweep-manifest';

/** Subrequests the re-checks leave for the cache differential, the rotation and reporting. */
export const RECHECK_BUDGET_RESERVE = 120;

export interface RecheckInput {
  readonly registry: ReleaseRegistry;
  /** Versions the rotation's cache holds from a pin (pins from before the registry). */
  readonly cachedVersions: readonly string[];
  /** Checked in depth this sweep already. */
  readonly watched: readonly string[];
  readonly facts: ReadonlyMap<string, ReleaseFacts>;
  readonly trust: TrustedKeys;
}

export interface RecheckReport {
  readonly planned: number;
  readonly checked: number;
}

export async function recheckPinnedManifests(
  ctx: SweepContext,
  input: RecheckInput,
): Promise<RecheckReport> {
  const watched = new Set(input.watched);
  const silent = new Set(input.registry.silent);
  const candidates = new Map<string, RecheckCandidate>();
  for (const release of input.registry.releases) {
    if (release.pinned === undefined || watched.has(release.version)) continue;
    candidates.set(release.version, {
      version: release.version,
      silent: silent.has(release.version),
      ...(release.manifestCheckedAt !== undefined && {
        lastCheckedAt: Date.parse(release.manifestCheckedAt),
      }),
    });
  }
  const checkedAt = new Map(
    input.registry.releases.map((release) => [release.version, release.manifestCheckedAt]),
  );
  for (const version of input.cachedVersions) {
    if (watched.has(version) || candidates.has(version)) continue;
    const last = checkedAt.get(version);
    candidates.set(version, {
      version,
      silent: silent.has(version),
      ...(last !== undefined && { lastCheckedAt: Date.parse(last) }),
    });
  }
  const affordable = (ctx.budget.remaining - RECHECK_BUDGET_RESERVE) / MANIFEST_RECHECK_COST;
  const plan = planManifestRechecks(
    [...candidates.values()],
    ctx.now.getTime(),
    defaultRecheckPolicy(),
    affordable,
  );
  if (plan.versions.length < Math.min(plan.pace, candidates.size)) {
    skip(ctx, 'manifest re-checks', 'subrequest-budget', plan.pace - plan.versions.length);
  }
  let checked = 0;
  for (const version of plan.versions) {
    ctx.budget.remaining -= 1; // the KV read of the pin
    const pin = await ctx.pins.getRelease(version);
    if (!pin) continue;
    const facts = input.facts.get(version);
    const judged = await sweepManifest(ctx, version, input.trust, pin, facts);
    if (judged) checked += 1;
    const filled = withIndexEntry(pin, facts);
    if (filled.changed) {
      try {
        await ctx.pins.putRelease(filled.pin);
      } catch (error) {
        if (!(error instanceof PinStoreError)) throw error;
        skip(ctx, `pin ${version}`, 'pin-store-unavailable');
        continue;
      }
    }
    notePinnedEntry(ctx, filled.pin);
  }
  return { planned: plan.versions.length, checked };
}
