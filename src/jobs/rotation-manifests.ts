/**
 * Fills the rotation's manifest cache (MonitorState) a few releases per sweep, so that the
 * rotation learns the signed hashes of every release in index.json, not only watched ones.
 *
 * Trust: a release already pinned in KV is copied from its pin (one KV read). A release
 * never pinned is fetched, its signatures verified against the trusted release keys, bound
 * to the release (core/manifest-binding.ts), and then pinned exactly as a watched release
 * would be (entries, signer, signature forms, index entry; artifact metadata is added by a
 * later sweep's HEAD, if the release is ever watched): so the rotation extends the pins to
 * old releases over time. Without key material nothing new is pinned and the release waits.
 *
 * A release listed before the monitor's baseline whose manifest cannot be verified is not
 * hashed against and not reported here (the archive's oldest releases predate signed
 * SHA-256 manifests): it is recorded as `unverified` in the cache, shows in coverage as
 * "awaiting a verified manifest", and is retried daily. A brand-new release (first listed
 * after the baseline) is judged like a watched one instead (sweep-manifest.ts): anything
 * wrong with its manifest, or a manifest that does not answer, is a finding, not a wait.
 */
import { sha256Hex } from '../core/digest';
import { pinnedIndexEntryOf } from '../core/index-pins';
import { parseManifest } from '../core/manifest';
import { bindManifest } from '../core/manifest-binding';
import { manifestUrls } from '../core/manifest-urls';
import {
  affordableManifestLoads,
  MANIFEST_LOAD_COST,
  MANIFEST_LOADS_PER_SWEEP,
  ROTATION_BUDGET_RESERVE,
} from '../core/rotation-plan';
import { verifyManifestSignature } from '../core/signature';
import { PinStoreError, type ReleasePin } from '../adapters/pin-store';
import type { MonitorState } from '../durable/monitor-state';
import type { ManifestStatusInput } from '../durable/rotation-store';
import { recordManifestPin } from './log-entries';
import { createPin, notePinnedEntry } from './release-pin';
import { observeError, observeResponse, skip, type SweepContext } from './sweep-context';
import type { ReleaseFacts } from './sweep-index';
import { sweepManifest } from './sweep-manifest';
import type { TrustedKeys } from './sweep-release';

const HOUR_MS = 60 * 60 * 1000;
/** How long a release waits before the next try, by why it is not cached. */
const RETRY_AFTER_MS: Record<ManifestStatusInput['status'], number> = {
  unpinned: 6 * HOUR_MS,
  unavailable: HOUR_MS,
  unverified: 24 * HOUR_MS,
};
const SIGNATURE_MAX_BYTES = 64 * 1024;

export interface ManifestLoadReport {
  readonly attempted: number;
  readonly cached: number;
}

/** Loads due manifests, newest first, within the sweep's subrequest budget. */
export async function loadRotationManifests(
  state: DurableObjectStub<MonitorState>,
  ctx: SweepContext,
  versions: readonly string[],
  trust: TrustedKeys | undefined,
  facts: ReadonlyMap<string, ReleaseFacts> = ctx.releaseFacts,
): Promise<ManifestLoadReport> {
  const limit = affordableManifestLoads(ctx.budget.remaining, {
    maxLoads: MANIFEST_LOADS_PER_SWEEP,
    costPerLoad: MANIFEST_LOAD_COST,
    reserve: ROTATION_BUDGET_RESERVE,
  });
  if (limit === 0) {
    skip(ctx, 'rotation manifests', 'subrequest-budget');
    return { attempted: 0, cached: 0 };
  }
  const due = await state.releasesNeedingManifest([...versions], ctx.now.toISOString(), limit);
  let cached = 0;
  for (const version of due) {
    if (ctx.budget.remaining - MANIFEST_LOAD_COST < ROTATION_BUDGET_RESERVE) {
      skip(ctx, 'rotation manifests', 'subrequest-budget');
      break;
    }
    if (await loadOne(state, ctx, version, trust, facts.get(version))) cached += 1;
  }
  return { attempted: due.length, cached };
}

async function loadOne(
  state: DurableObjectStub<MonitorState>,
  ctx: SweepContext,
  version: string,
  trust: TrustedKeys | undefined,
  facts: ReleaseFacts | undefined,
): Promise<boolean> {
  const at = ctx.now.toISOString();
  const mark = (status: ManifestStatusInput['status'], detail: string) =>
    state.markReleaseManifest({
      version,
      status,
      detail,
      at,
      nextCheckAt: new Date(ctx.now.getTime() + RETRY_AFTER_MS[status]).toISOString(),
    });

  ctx.budget.remaining -= 1;
  const pin = await ctx.pins.getRelease(version);
  if (pin) {
    notePinnedEntry(ctx, pin);
    await state.cacheReleaseManifest({
      version,
      source: 'pin',
      entries: Object.entries(pin.entries).map(([name, sha256]) => {
        const size = pin.artifacts[name]?.size;
        return { name, sha256, ...(size !== undefined && { size }) };
      }),
      at,
    });
    return true;
  }
  if (!trust || trust.unavailable) {
    await mark('unpinned', 'not pinned yet and no release key material to verify it with');
    return false;
  }

  if (facts?.novelty?.kind === 'new')
    return loadNewRelease(state, ctx, version, trust, facts, mark);

  const urls = manifestUrls(ctx.config.DIST_BASE_URL, version);
  const manifest = await ctx.client.getText(urls.shasums, {
    maxBytes: ctx.config.MAX_MANIFEST_BYTES,
  });
  if (!manifest.ok) {
    observeError(ctx, manifest.error, version);
    await mark('unavailable', `SHASUMS256.txt: ${manifest.error.kind} (${manifest.error.detail})`);
    skip(ctx, `rotation manifest ${version}`, 'manifest-unavailable');
    return false;
  }
  observeResponse(ctx, manifest.value, version);
  const detached = await fetchSignature(ctx, urls.signature, version);
  const clearsignedBytes = await fetchSignature(ctx, urls.clearsigned, version);
  const verdict = await verifyManifestSignature({
    manifestText: manifest.value.text,
    ...(detached && { detachedSignature: detached }),
    ...(clearsignedBytes && { clearsigned: new TextDecoder().decode(clearsignedBytes) }),
    trustedKeys: trust.keys,
    sha1Cutoff: ctx.config.SHA1_SIGNATURE_CUTOFF,
    now: ctx.now,
  });
  if (!verdict.ok) {
    await mark('unverified', `signature: ${verdict.reason} (${verdict.detail})`);
    skip(ctx, `rotation manifest ${version}`, 'manifest-unavailable');
    return false;
  }
  const parsed = parseManifest(manifest.value.text, { maxBytes: ctx.config.MAX_MANIFEST_BYTES });
  if (!parsed.ok) {
    await mark('unverified', `does not parse: ${parsed.error.length} problem(s)`);
    skip(ctx, `rotation manifest ${version}`, 'manifest-unavailable');
    return false;
  }
  const releaseDate = facts?.listed?.date;
  const binding = bindManifest({
    version,
    names: parsed.value.entries.map((entry) => entry.name),
    signature: verdict,
    ...(releaseDate !== undefined && { releaseDate }),
    ...(facts?.novelty !== undefined && { novelty: facts.novelty }),
  });
  if (!binding.ok) {
    await mark('unverified', `not bound to ${version}: ${binding.error.detail}`);
    skip(ctx, `rotation manifest ${version}`, 'manifest-unavailable');
    return false;
  }
  return storePin(
    state,
    ctx,
    {
      version,
      manifestSha256: await sha256Hex(manifest.value.text),
      entries: Object.fromEntries(
        parsed.value.entries.map((entry) => [entry.name, entry.sha256.toLowerCase()]),
      ),
      signer: verdict.signer,
      pinnedAt: at,
      artifacts: {},
      signatureForms: verdict.via,
      ...(facts?.listed && { indexEntry: pinnedIndexEntryOf(facts.listed) }),
    },
    verdict.signedAt,
  );
}

/**
 * A release first listed after the baseline: judged and reported like a watched release,
 * so an unsigned, unbound or unanswered manifest is a finding here too.
 */
async function loadNewRelease(
  state: DurableObjectStub<MonitorState>,
  ctx: SweepContext,
  version: string,
  trust: TrustedKeys,
  facts: ReleaseFacts,
  mark: (status: ManifestStatusInput['status'], detail: string) => Promise<void>,
): Promise<boolean> {
  const judged = await sweepManifest(ctx, version, trust, undefined, facts);
  if (!judged) {
    await mark('unavailable', 'SHASUMS256.txt was not served');
    return false;
  }
  const pin = createPin(ctx, version, judged, facts);
  if (!pin || !judged.verdict?.ok) {
    await mark('unverified', 'not validly signed for this release (see its finding)');
    return false;
  }
  return storePin(state, ctx, pin, judged.verdict.signedAt);
}

/** Writes the pin, logs it (made from a signature at `signedAt`), then caches its entries. */
async function storePin(
  state: DurableObjectStub<MonitorState>,
  ctx: SweepContext,
  pin: ReleasePin,
  signedAt: Date,
): Promise<boolean> {
  ctx.budget.remaining -= 1;
  try {
    await ctx.pins.putRelease(pin);
  } catch (error) {
    // Not cached unpinned: the rotation's hashes must come from a pin, so the release waits.
    if (!(error instanceof PinStoreError)) throw error;
    await state.markReleaseManifest({
      version: pin.version,
      status: 'unavailable',
      detail: `the pin could not be written: ${error.message}`,
      at: ctx.now.toISOString(),
      nextCheckAt: new Date(ctx.now.getTime() + RETRY_AFTER_MS.unavailable).toISOString(),
    });
    skip(ctx, `rotation manifest ${pin.version}`, 'pin-store-unavailable');
    return false;
  }
  notePinnedEntry(ctx, pin);
  recordManifestPin(ctx, pin, signedAt);
  const entries = Object.entries(pin.entries).map(([name, sha256]) => ({ name, sha256 }));
  await state.cacheReleaseManifest({
    version: pin.version,
    source: 'verified',
    entries,
    at: pin.pinnedAt,
  });
  return true;
}

/** A signature file, or undefined when not served (either form may be missing). */
async function fetchSignature(
  ctx: SweepContext,
  url: string,
  version: string,
): Promise<Uint8Array | undefined> {
  const result = await ctx.client.getBytes(url, { maxBytes: SIGNATURE_MAX_BYTES });
  if (result.ok) {
    observeResponse(ctx, result.value, version);
    return result.value.bytes;
  }
  observeError(ctx, result.error, version);
  return undefined;
}
