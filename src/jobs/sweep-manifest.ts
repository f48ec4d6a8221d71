/**
 * A release's signed manifest in one sweep: fetch SHASUMS256.txt and its signatures, verify
 * them against the trusted keys, bind them to the release (core/manifest-binding.ts) and
 * compare them with the pin.
 *
 * Severity by harm: what users receive decides. The files of the plain URL are judged and
 * reported (unsigned, unbound or changed from the pin is the P0 kind) whatever the origin
 * says. When something is wrong, the same three files are also fetched past the cache
 * (ORIGIN_BASE_URL or a unique query string): a file the cache serves differently adds
 * `cache-poisoned` (the purge runbook), which never replaces or softens the P0.
 *
 * No silence: what each file answered is noted (manifest-files.ts) and turned into
 * `manifest-missing` / `manifest-unavailable` at the end of the sweep (sweep-silence.ts).
 */
import type { PublicKey } from 'openpgp';
import { sha256Hex } from '../core/digest';
import { bindManifest } from '../core/manifest-binding';
import { parseManifest } from '../core/manifest';
import { cacheBypassUrl, manifestUrls, type ManifestUrls } from '../core/manifest-urls';
import { verifyManifestSignature } from '../core/signature';
import type { ReleasePin } from '../adapters/pin-store';
import { fetchManifestFiles, type ManifestFiles } from './manifest-files';
import { reportManifest, reportUnreadableManifest, type JudgedManifest } from './manifest-report';
import { addFinding, canRequest, skip, type SweepContext } from './sweep-context';
import type { ReleaseFacts } from './sweep-index';

export type { JudgedManifest } from './manifest-report';
export { isPinnable } from './manifest-report';

export interface TrustedKeys {
  readonly keys: PublicKey[];
  /** True when no key material could be loaded: signatures cannot be judged. */
  readonly unavailable: boolean;
}

async function judge(
  ctx: SweepContext,
  release: string,
  files: ManifestFiles,
  trust: TrustedKeys,
  pin: ReleasePin | undefined,
  facts: ReleaseFacts | undefined,
): Promise<JudgedManifest> {
  const sha256 = await sha256Hex(files.text);
  const parsed = parseManifest(files.text, { maxBytes: ctx.config.MAX_MANIFEST_BYTES });
  if (trust.unavailable || cannotJudgeSignature(files)) return { sha256, parsed };
  const verdict = await verifyManifestSignature({
    manifestText: files.text,
    ...(files.detached && { detachedSignature: files.detached }),
    ...(files.clearsigned && { clearsigned: new TextDecoder().decode(files.clearsigned) }),
    trustedKeys: trust.keys,
    sha1Cutoff: ctx.config.SHA1_SIGNATURE_CUTOFF,
    now: ctx.now,
  });
  if (!verdict.ok || !parsed.ok) return { sha256, parsed, verdict };
  const releaseDate = pin?.indexEntry?.date ?? facts?.pinned?.date ?? facts?.listed?.date;
  // Novelty is a question for the first pin only: a pinned release was judged when pinned.
  const novelty = pin === undefined ? facts?.novelty : undefined;
  const binding = bindManifest({
    version: release,
    names: parsed.value.entries.map((entry) => entry.name),
    signature: verdict,
    ...(releaseDate !== undefined && { releaseDate }),
    ...(novelty !== undefined && { novelty }),
  });
  return { sha256, parsed, verdict, binding };
}

/**
 * No signature in hand because the site failed to send one: an availability failure (and
 * counted as one), not a missing signature. Judging it would raise a P0 on a timeout.
 */
function cannotJudgeSignature(files: ManifestFiles): boolean {
  return !files.detached && !files.clearsigned && files.signatureUnreachable === true;
}

function isSuspect(judged: JudgedManifest, pin: ReleasePin | undefined): boolean {
  return (
    (judged.verdict !== undefined && !judged.verdict.ok) ||
    (judged.binding !== undefined && !judged.binding.ok) ||
    (pin !== undefined && pin.manifestSha256 !== judged.sha256) ||
    !judged.parsed.ok
  );
}

function sameBytes(a: Uint8Array | undefined, b: Uint8Array | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  return a.byteLength === b.byteLength && a.every((byte, index) => byte === b[index]);
}

/**
 * Fetches the origin's copies and reports every file the cache serves differently as
 * `cache-poisoned`. It adds to what the plain files show; it never replaces it.
 */
async function checkAgainstOrigin(
  ctx: SweepContext,
  urls: ManifestUrls,
  cached: ManifestFiles,
  release: string,
): Promise<void> {
  if (!canRequest(ctx, `origin check ${release}`, 3)) return;
  const bypass = (url: string) =>
    cacheBypassUrl(url, ctx.config.DIST_BASE_URL, ctx.config.ORIGIN_BASE_URL, ctx.sweepId);
  const originUrls: ManifestUrls = {
    shasums: bypass(urls.shasums),
    signature: bypass(urls.signature),
    clearsigned: bypass(urls.clearsigned),
  };
  const origin = await fetchManifestFiles(ctx, originUrls, release);
  if (origin.kind !== 'files') return;
  const encoder = new TextEncoder();
  const pairs: [string, Uint8Array | undefined, Uint8Array | undefined][] = [
    [urls.shasums, encoder.encode(cached.text), encoder.encode(origin.files.text)],
    [urls.signature, cached.detached, origin.files.detached],
    [urls.clearsigned, cached.clearsigned, origin.files.clearsigned],
  ];
  for (const [url, cachedBytes, originBytes] of pairs) {
    if (sameBytes(cachedBytes, originBytes)) continue;
    const [cachedSha, originSha] = await Promise.all([
      cachedBytes ? sha256Hex(cachedBytes) : Promise.resolve('absent'),
      originBytes ? sha256Hex(originBytes) : Promise.resolve('absent'),
    ]);
    addFinding(ctx, {
      kind: 'cache-poisoned',
      subject: url,
      release,
      summary: `The cached ${url.slice(url.lastIndexOf('/') + 1)} of ${release} differs from the origin's copy.`,
      expected: originSha,
      observed: cachedSha,
      evidence: {
        differences: ['bytes'],
        cached: { sha256: cachedSha, bytes: cachedBytes?.byteLength ?? null },
        origin: { sha256: originSha, bytes: originBytes?.byteLength ?? null },
      },
    });
  }
}

/**
 * Checks a release's manifest. Returns the judged manifest, or undefined when there is
 * none to judge (missing, unreadable or unreachable: noted, reported or skipped here).
 */
export async function sweepManifest(
  ctx: SweepContext,
  release: string,
  trust: TrustedKeys,
  pin: ReleasePin | undefined,
  facts?: ReleaseFacts,
): Promise<JudgedManifest | undefined> {
  const urls = manifestUrls(ctx.config.DIST_BASE_URL, release);
  if (!canRequest(ctx, `release ${release}`, 3)) return undefined;
  ctx.manifestsChecked.push(release);
  const fetched = await fetchManifestFiles(ctx, urls, release, {
    release,
    pinned: pin !== undefined,
    ...(pin?.signatureForms && { pinnedForms: pin.signatureForms }),
  });
  if (fetched.kind === 'missing') return undefined;
  if (fetched.kind === 'unreadable') {
    reportUnreadableManifest(ctx, urls, release, fetched.error, fetched.detail);
    return undefined;
  }
  if (fetched.kind === 'unavailable') {
    skip(ctx, `release ${release}`, 'manifest-unavailable');
    return undefined;
  }
  const files = fetched.files;
  const judged = await judge(ctx, release, files, trust, pin, facts);
  if (trust.unavailable) skip(ctx, `signature ${release}`, 'keys-unavailable');
  else if (cannotJudgeSignature(files)) skip(ctx, `signature ${release}`, 'manifest-unavailable');
  if (isSuspect(judged, pin)) await checkAgainstOrigin(ctx, urls, files, release);
  reportManifest(ctx, urls, release, judged, pin, files);
  return judged;
}
