/**
 * One watched release in one sweep: fetch its manifest and signatures, verify them against
 * the trusted keys, compare with the pin (or pin at the first verified sighting), then HEAD
 * every artifact it lists and compare each with its pinned metadata. Artifacts seen for the
 * first time, and artifacts whose metadata changed, are queued for hashing at once.
 */
import type { PublicKey } from 'openpgp';
import { sha256Hex } from '../core/digest';
import {
  compareManifests,
  parseManifest,
  type Manifest,
  type ManifestError,
} from '../core/manifest';
import { artifactUrl, manifestUrls } from '../core/manifest-urls';
import { verifyManifestSignature, type SignatureVerdict } from '../core/signature';
import type { ArtifactPin, ReleasePin } from '../adapters/pin-store';
import {
  addFinding,
  canRequest,
  observeError,
  observeResponse,
  skip,
  type SweepContext,
} from './sweep-context';

export interface TrustedKeys {
  readonly keys: PublicKey[];
  /** True when no key material could be loaded: signatures cannot be judged. */
  readonly unavailable: boolean;
}

/** Fetches a signature file; `undefined` when it is not served (404) or not reachable. */
async function fetchSignatureFile(
  ctx: SweepContext,
  url: string,
  release: string,
): Promise<Uint8Array | undefined> {
  const result = await ctx.client.getBytes(url, { maxBytes: 64 * 1024 });
  if (result.ok) {
    observeResponse(ctx, result.value, release);
    return result.value.bytes;
  }
  observeError(ctx, result.error, release);
  return undefined;
}

function describeManifestErrors(errors: readonly ManifestError[]): string {
  return errors
    .slice(0, 5)
    .map((error) => ('line' in error ? `${error.kind} on line ${error.line}` : error.kind))
    .join('; ');
}

export async function sweepRelease(
  ctx: SweepContext,
  version: string,
  trust: TrustedKeys,
): Promise<void> {
  const urls = manifestUrls(ctx.config.DIST_BASE_URL, version);
  if (!canRequest(ctx, `release ${version}`, 3)) return;
  const manifestResult = await ctx.client.getText(urls.shasums, {
    maxBytes: ctx.config.MAX_MANIFEST_BYTES,
  });
  if (!manifestResult.ok) {
    observeError(ctx, manifestResult.error, version);
    const error = manifestResult.error;
    if (error.kind === 'status' && error.status === 404) {
      addFinding(ctx, {
        kind: 'manifest-missing',
        subject: urls.shasums,
        release: version,
        summary: `${version} is listed in index.json but its SHASUMS256.txt is not served (HTTP 404).`,
        expected: 'HTTP 200',
        observed: 'HTTP 404',
        evidence: { status: error.status },
      });
    } else if (error.kind === 'too-large' || error.kind === 'invalid-utf8') {
      addFinding(ctx, {
        kind: 'manifest-signature-invalid',
        subject: urls.shasums,
        release: version,
        summary: `SHASUMS256.txt of ${version} cannot be verified: ${error.kind} (${error.detail}).`,
        expected: `a UTF-8 manifest under ${ctx.config.MAX_MANIFEST_BYTES} bytes`,
        observed: error.kind,
        evidence: { error: error.kind, detail: error.detail },
      });
    } else {
      skip(ctx, `release ${version}`, 'manifest-unavailable');
    }
    return;
  }
  observeResponse(ctx, manifestResult.value, version);
  const manifestText = manifestResult.value.text;
  const manifestSha256 = await sha256Hex(manifestText);

  const [detached, clearsignedBytes] = [
    await fetchSignatureFile(ctx, urls.signature, version),
    await fetchSignatureFile(ctx, urls.clearsigned, version),
  ];
  const clearsigned = clearsignedBytes ? new TextDecoder().decode(clearsignedBytes) : undefined;

  const pin = await ctx.pins.getRelease(version);
  let verdict: SignatureVerdict | undefined;
  if (trust.unavailable) {
    skip(ctx, `signature ${version}`, 'keys-unavailable');
  } else {
    verdict = await verifyManifestSignature({
      manifestText,
      ...(detached && { detachedSignature: detached }),
      ...(clearsigned !== undefined && { clearsigned }),
      trustedKeys: trust.keys,
      sha1Cutoff: ctx.config.SHA1_SIGNATURE_CUTOFF,
      now: ctx.now,
    });
    if (!verdict.ok) {
      addFinding(ctx, {
        kind: 'manifest-signature-invalid',
        subject: urls.shasums,
        release: version,
        summary: `SHASUMS256.txt of ${version} is not validly signed by a trusted release key: ${verdict.reason}.`,
        expected: 'a valid signature by a pinned release key',
        observed: verdict.reason,
        evidence: {
          reason: verdict.reason,
          detail: verdict.detail,
          manifestSha256,
          signatureServed: detached !== undefined,
          clearsignedServed: clearsigned !== undefined,
        },
      });
    }
  }

  const parsed = parseManifest(manifestText, { maxBytes: ctx.config.MAX_MANIFEST_BYTES });

  if (pin && pin.manifestSha256 !== manifestSha256) {
    const current = parsed.ok ? entriesOf(parsed.value) : {};
    const diff = compareManifests(
      Object.entries(pin.entries).map(([name, sha256]) => ({ name, sha256 })),
      Object.entries(current).map(([name, sha256]) => ({ name, sha256 })),
    );
    addFinding(ctx, {
      kind: 'manifest-changed',
      subject: urls.shasums,
      release: version,
      summary: `SHASUMS256.txt of ${version} differs from the copy pinned on ${pin.pinnedAt}${verdict?.ok ? ', although it is validly signed' : ''}.`,
      expected: pin.manifestSha256,
      observed: manifestSha256,
      evidence: {
        pinnedSha256: pin.manifestSha256,
        servedSha256: manifestSha256,
        pinnedAt: pin.pinnedAt,
        signedValidly: verdict?.ok ?? null,
        added: diff.added,
        removed: diff.removed,
        changed: diff.changed,
        pinnedEntries: pin.entries,
        servedEntries: current,
        parseErrors: parsed.ok ? [] : parsed.error.slice(0, 20),
      },
    });
  }

  if (!parsed.ok) {
    if (!pin || pin.manifestSha256 === manifestSha256) {
      addFinding(ctx, {
        kind: 'manifest-signature-invalid',
        subject: urls.shasums,
        release: version,
        summary: `SHASUMS256.txt of ${version} does not parse: ${describeManifestErrors(parsed.error)}.`,
        expected: 'one `<sha256>  <relative path>` per line',
        observed: describeManifestErrors(parsed.error),
        evidence: { parseErrors: parsed.error.slice(0, 20), manifestSha256 },
      });
    }
    return;
  }

  // The pin is the verified manifest; without a pin, only a verified manifest may create one.
  const manifest = parsed.value;
  let releasePin = pin;
  if (!releasePin && verdict?.ok) {
    releasePin = {
      version,
      manifestSha256,
      entries: entriesOf(manifest),
      signer: verdict.signer,
      pinnedAt: ctx.now.toISOString(),
      artifacts: {},
    };
  }
  if (!releasePin) return; // not verified, not pinned: nothing trustworthy to compare with
  const newlyPinned = !pin;

  const artifactPins: Record<string, ArtifactPin> = { ...releasePin.artifacts };
  let pinsChanged = newlyPinned;
  for (const [name, expectedSha256] of Object.entries(releasePin.entries)) {
    if (!canRequest(ctx, `artifact HEAD ${version}`)) continue;
    const url = artifactUrl(ctx.config.DIST_BASE_URL, version, name);
    const head = await ctx.client.head(url);
    ctx.artifactsChecked += 1;
    if (!head.ok) {
      observeError(ctx, head.error, version);
      if (
        head.error.kind === 'status' &&
        (head.error.status === 404 || head.error.status === 410)
      ) {
        addFinding(ctx, {
          kind: 'artifact-missing',
          subject: url,
          release: version,
          summary: `${name} of ${version} is listed in the signed manifest but not served (HTTP ${head.error.status}).`,
          expected: 'HTTP 200',
          observed: `HTTP ${head.error.status}`,
          evidence: { status: head.error.status, headers: head.error.meta?.headers ?? {} },
        });
      }
      continue;
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
      continue;
    }
    const changes = compareMetadata(pinned, observed);
    if (changes.length > 0) {
      addFinding(ctx, {
        kind: 'artifact-metadata-changed',
        subject: url,
        release: version,
        summary: `${name} of ${version} changed ${changes.join(', ')} since it was pinned on ${pinned.pinnedAt}; release files are immutable. Its bytes are being re-hashed now.`,
        expected: describeMetadata(pinned),
        observed: describeMetadata(observed),
        evidence: { pinned, observed, changed: changes, headers: head.value.headers },
      });
      ctx.hashJobs.push({
        type: 'hash',
        version,
        name,
        url,
        expectedSha256,
        ...(pinned.size !== undefined && { expectedBytes: pinned.size }),
        reason: 'metadata-changed',
        sweepId: ctx.sweepId,
      });
    }
  }
  if (pinsChanged) {
    await ctx.pins.putRelease({ ...releasePin, artifacts: artifactPins } satisfies ReleasePin);
  }
}

function entriesOf(manifest: Manifest): Record<string, string> {
  return Object.fromEntries(manifest.entries.map((entry) => [entry.name, entry.sha256]));
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
