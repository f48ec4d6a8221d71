/**
 * One watched release in one sweep: judge its manifest (sweep-manifest.ts), pin it at the
 * first verified sighting of a manifest bound to it, then HEAD every artifact the pin lists
 * (six at a time, also when the manifest was not served this sweep) and
 * compare each with its pinned metadata. Artifacts seen for the first time, and artifacts
 * whose metadata changed, become hash jobs at once: the bytes decide whether a change of
 * metadata is an incident (reportMetadataChange).
 */
import { mapWithConcurrency } from '../core/concurrency';
import { artifactUrl, cacheBypassUrl } from '../core/manifest-urls';
import {
  compareMetadata,
  describeMetadata,
  metadataFields,
  metadataOf,
  type ArtifactMetadata,
  type MetadataField,
} from '../core/artifact-metadata';
import { PinStoreError, type ArtifactPin, type ReleasePin } from '../adapters/pin-store';
import {
  addFinding,
  canRequest,
  observeError,
  observeResponse,
  skip,
  type SweepContext,
  unservableReason,
} from './sweep-context';
import { recordManifestPin } from './log-entries';
import { sweepManifest, type TrustedKeys } from './sweep-manifest';
import { createPin, notePinnedEntry, withIndexEntry } from './release-pin';
import type { ReleaseFacts } from './sweep-index';

export type { TrustedKeys } from './sweep-manifest';

/** HEADs in flight at once: a Worker may hold six connections open. */
const ARTIFACT_HEAD_CONCURRENCY = 6;

export async function sweepRelease(
  ctx: SweepContext,
  version: string,
  trust: TrustedKeys,
  facts?: ReleaseFacts,
): Promise<void> {
  const pin = await ctx.pins.getRelease(version);
  const judged = await sweepManifest(ctx, version, trust, pin, facts);

  // The pin is the verified manifest; without a pin, only a verified manifest bound to this
  // release (release-pin.ts, core/manifest-binding.ts) may create one. A pinned release's
  // artifacts are checked against the pin whatever its manifest answered this time: a site
  // that withholds the manifest must not also hide a changed artifact.
  const created = pin ?? (judged ? createPin(ctx, version, judged, facts) : undefined);
  if (!created) return; // not verified, not pinned: nothing trustworthy to compare with
  if (!pin && judged?.verdict?.ok) recordManifestPin(ctx, created, judged.verdict.signedAt);
  const newlyPinned = !pin;
  const filled = withIndexEntry(created, facts);
  const releasePin = filled.pin;

  const artifactPins: Record<string, ArtifactPin> = { ...releasePin.artifacts };
  let pinsChanged = newlyPinned || filled.changed;
  await mapWithConcurrency(
    Object.entries(releasePin.entries),
    ARTIFACT_HEAD_CONCURRENCY,
    async ([name, expectedSha256]) => {
      if (!canRequest(ctx, `artifact HEAD ${version}`)) return;
      const url = artifactUrl(ctx.config.DIST_BASE_URL, version, name);
      const head = await ctx.client.head(url);
      ctx.artifactsChecked += 1;
      if (!head.ok) {
        observeError(ctx, head.error, version);
        const unservable = unservableReason(head.error);
        if (unservable !== undefined) {
          addFinding(ctx, {
            kind: 'artifact-missing',
            subject: url,
            release: version,
            summary: `${name} of ${version} is listed in the signed manifest but not served (${unservable}).`,
            expected: 'HTTP 200',
            observed: unservable,
            evidence: {
              status: head.error.status ?? null,
              error: head.error.kind,
              redirects: head.error.redirects,
              headers: head.error.meta?.headers ?? {},
            },
          });
        }
        return;
      }
      observeResponse(ctx, head.value, version);
      const observed = metadataOf(head.value.headers);
      const pinned = artifactPins[name];
      if (!pinned) {
        artifactPins[name] = { ...observed, pinnedAt: ctx.now.toISOString() };
        pinsChanged = true;
        ctx.hashJobs.push({
          type: 'hash',
          version,
          name,
          url,
          expectedSha256,
          ...(observed.size !== undefined && { expectedBytes: observed.size }),
          reason: newlyPinned ? 'new-release' : 'rotation',
          sweepId: ctx.sweepId,
        });
        return;
      }
      const changes = compareMetadata(pinned, observed);
      if (changes.length > 0) {
        await reportMetadataChange(ctx, {
          version,
          name,
          url,
          expectedSha256,
          pinned,
          observed,
          changes,
          headers: head.value.headers,
        });
      }
    },
  );
  if (pinsChanged) {
    try {
      await ctx.pins.putRelease({ ...releasePin, artifacts: artifactPins } satisfies ReleasePin);
      notePinnedEntry(ctx, releasePin);
    } catch (error) {
      // KV down must not cost the sweep its findings: what was not pinned is pinned by the
      // next sweep that sees it (its hashing is queued already), and the summary says so.
      if (!(error instanceof PinStoreError)) throw error;
      skip(ctx, `pin ${version}`, 'pin-store-unavailable');
    }
  } else {
    notePinnedEntry(ctx, releasePin);
  }
}

interface MetadataChange {
  readonly version: string;
  readonly name: string;
  readonly url: string;
  readonly expectedSha256: string;
  readonly pinned: ArtifactPin;
  readonly observed: ArtifactMetadata;
  readonly changes: readonly MetadataField[];
  readonly headers: Readonly<Record<string, string>>;
}

/**
 * Bytes decide integrity. Any metadata change makes the artifact's bytes be hashed now
 * (inside the sweep when it fits, else first in the queue). A change of ETag or
 * Last-Modified alone is no finding yet: the hash decides (verified → the pin is
 * re-baselined with an audit record and a low-severity notice; tampered →
 * `artifact-hash-mismatch`, P0). A size change stays `artifact-metadata-changed`: no
 * signed file changes length. When the origin still serves the pinned metadata, the cache
 * is also to blame and `cache-poisoned` is added, never instead: what users receive decides.
 */
async function reportMetadataChange(ctx: SweepContext, change: MetadataChange): Promise<void> {
  const { version, name, url, pinned, observed, changes } = change;
  const job = {
    type: 'hash' as const,
    version,
    name,
    url,
    expectedSha256: change.expectedSha256,
    ...(pinned.size !== undefined && { expectedBytes: pinned.size }),
    reason: 'metadata-changed' as const,
    sweepId: ctx.sweepId,
  };
  if (!changes.includes('size')) {
    ctx.hashJobs.push({
      ...job,
      rebaseline: { pinned: metadataFields(pinned), observed, changed: changes },
    });
    return;
  }
  addFinding(ctx, {
    kind: 'artifact-metadata-changed',
    subject: url,
    release: version,
    summary: `${name} of ${version} changed ${changes.join(', ')} since it was pinned on ${pinned.pinnedAt}; release files are immutable. Its bytes are being re-hashed now.`,
    expected: describeMetadata(pinned),
    observed: describeMetadata(observed),
    evidence: {
      pinned: metadataFields(pinned),
      observed,
      changed: changes,
      headers: change.headers,
    },
  });
  ctx.hashJobs.push(job);
  if (await originServesPin(ctx, change)) {
    addFinding(ctx, {
      kind: 'cache-poisoned',
      subject: url,
      release: version,
      summary: `The cached ${name} of ${version} has a different ${changes.join(', ')} than the origin, which still serves the pinned file.`,
      expected: describeMetadata(pinned),
      observed: describeMetadata(observed),
      evidence: {
        differences: changes,
        pinned: metadataFields(pinned),
        cached: observed,
        headers: change.headers,
      },
    });
  }
}

/** Does the cache-bypassing URL still serve the pinned metadata? */
async function originServesPin(ctx: SweepContext, change: MetadataChange): Promise<boolean> {
  if (!canRequest(ctx, `origin check ${change.version}`)) return false;
  const bypassUrl = cacheBypassUrl(
    change.url,
    ctx.config.DIST_BASE_URL,
    ctx.config.ORIGIN_BASE_URL,
    ctx.sweepId,
  );
  const origin = await ctx.client.head(bypassUrl);
  if (!origin.ok) {
    observeError(ctx, origin.error, change.version);
    return false;
  }
  observeResponse(ctx, origin.value, change.version);
  return compareMetadata(change.pinned, metadataOf(origin.value.headers)).length === 0;
}
