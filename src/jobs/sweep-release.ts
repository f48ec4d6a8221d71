/**
 * One watched release in one sweep: judge its manifest (sweep-manifest.ts), pin it at the
 * first verified sighting of a manifest bound to it, then HEAD every artifact the pin lists
 * (six at a time, also when the manifest was not served this sweep) and
 * compare each with its pinned metadata. Artifacts seen for the first time, and artifacts
 * whose metadata changed, become hash jobs at once.
 */
import { mapWithConcurrency } from '../core/concurrency';
import { artifactUrl, cacheBypassUrl } from '../core/manifest-urls';
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
  readonly observed: Omit<ArtifactPin, 'pinnedAt'>;
  readonly changes: readonly string[];
  readonly headers: Readonly<Record<string, string>>;
}

/**
 * Metadata that differs from the pin is confirmed at the origin first: when the origin
 * still serves the pinned metadata, the cache is what changed (`cache-poisoned`); else
 * the file itself changed (`artifact-metadata-changed`). Either way its bytes are re-hashed.
 */
async function reportMetadataChange(ctx: SweepContext, change: MetadataChange): Promise<void> {
  const { version, name, url, pinned, observed, changes } = change;
  let originMatchesPin = false;
  if (canRequest(ctx, `origin check ${version}`)) {
    const bypassUrl = cacheBypassUrl(
      url,
      ctx.config.DIST_BASE_URL,
      ctx.config.ORIGIN_BASE_URL,
      ctx.sweepId,
    );
    const origin = await ctx.client.head(bypassUrl);
    if (origin.ok) {
      observeResponse(ctx, origin.value, version);
      originMatchesPin = compareMetadata(pinned, metadataOf(origin.value.headers)).length === 0;
    } else {
      observeError(ctx, origin.error, version);
    }
  }
  if (originMatchesPin) {
    addFinding(ctx, {
      kind: 'cache-poisoned',
      subject: url,
      release: version,
      summary: `The cached ${name} of ${version} has a different ${changes.join(', ')} than the origin, which still serves the pinned file.`,
      expected: describeMetadata(pinned),
      observed: describeMetadata(observed),
      evidence: { differences: changes, pinned, cached: observed, headers: change.headers },
    });
  } else {
    addFinding(ctx, {
      kind: 'artifact-metadata-changed',
      subject: url,
      release: version,
      summary: `${name} of ${version} changed ${changes.join(', ')} since it was pinned on ${pinned.pinnedAt}; release files are immutable. Its bytes are being re-hashed now.`,
      expected: describeMetadata(pinned),
      observed: describeMetadata(observed),
      evidence: { pinned, observed, changed: changes, headers: change.headers },
    });
  }
  ctx.hashJobs.push({
    type: 'hash',
    version,
    name,
    url,
    expectedSha256: change.expectedSha256,
    ...(pinned.size !== undefined && { expectedBytes: pinned.size }),
    reason: 'metadata-changed',
    sweepId: ctx.sweepId,
  });
}

function metadataOf(headers: Readonly<Record<string, string>>): Omit<ArtifactPin, 'pinnedAt'> {
  const length = headers['content-length'];
  const size = length !== undefined && /^\d+$/.test(length) ? Number(length) : undefined;
  return {
    ...(size !== undefined && { size }),
    ...(headers['etag'] !== undefined && { etag: headers['etag'] }),
    ...(headers['last-modified'] !== undefined && { lastModified: headers['last-modified'] }),
  };
}

/** Which pinned fields differ; a field that was not observed at pin time is not compared. */
function compareMetadata(pinned: ArtifactPin, observed: Omit<ArtifactPin, 'pinnedAt'>): string[] {
  const changes: string[] = [];
  if (pinned.size !== undefined && observed.size !== pinned.size) changes.push('size');
  if (pinned.etag !== undefined && observed.etag !== pinned.etag) changes.push('ETag');
  if (pinned.lastModified !== undefined && observed.lastModified !== pinned.lastModified) {
    changes.push('Last-Modified');
  }
  return changes;
}

function describeMetadata(meta: Omit<ArtifactPin, 'pinnedAt'>): string {
  return `size ${meta.size ?? '?'}, ETag ${meta.etag ?? '-'}, Last-Modified ${meta.lastModified ?? '-'}`;
}
