/**
 * A release's signed manifest in one sweep: fetch SHASUMS256.txt and its signatures, verify
 * them against the trusted keys and compare them with the pin. When something is wrong,
 * the same three files are fetched again past the cache (ORIGIN_BASE_URL or a unique query
 * string): a file the cache serves differently from the origin is `cache-poisoned`, and the
 * origin's files are then what the manifest is judged on. So a poisoned cache is reported
 * as cache poisoning (purge it), and only a bad origin as a compromised manifest.
 */
import type { PublicKey } from 'openpgp';
import { sha256Hex } from '../core/digest';
import {
  compareManifests,
  parseManifest,
  type Manifest,
  type ManifestError,
} from '../core/manifest';
import { cacheBypassUrl, manifestUrls, type ManifestUrls } from '../core/manifest-urls';
import type { Result } from '../core/result';
import { EVIDENCE_FIELDS } from '../core/playbooks';
import { verifyManifestSignature, type SignatureVerdict } from '../core/signature';
import type { ReleasePin } from '../adapters/pin-store';
import {
  addFinding,
  canRequest,
  isAvailabilityFailure,
  observeError,
  observeResponse,
  skip,
  type SweepContext,
  unservableReason,
} from './sweep-context';

export interface TrustedKeys {
  readonly keys: PublicKey[];
  /** True when no key material could be loaded: signatures cannot be judged. */
  readonly unavailable: boolean;
}

interface ManifestFiles {
  readonly text: string;
  readonly detached?: Uint8Array;
  readonly clearsigned?: Uint8Array;
  /** A signature file timed out, broke off or got a 5xx: not known to be absent. */
  readonly signatureUnreachable?: boolean;
}

/** The manifest as judged this sweep. */
export interface JudgedManifest {
  readonly sha256: string;
  /** Undefined when no key material was available. */
  readonly verdict?: SignatureVerdict;
  readonly parsed: Result<Manifest, ManifestError[]>;
}

type FetchOutcome =
  | { readonly kind: 'files'; readonly files: ManifestFiles }
  | { readonly kind: 'missing'; readonly reason: string }
  | { readonly kind: 'unreadable'; readonly error: string; readonly detail: string }
  | { readonly kind: 'unavailable' };

/** A signature file's bytes; none when not served, or (`unreachable`) when the site failed. */
async function fetchOptional(
  ctx: SweepContext,
  url: string,
  release: string,
): Promise<{ readonly bytes?: Uint8Array; readonly unreachable: boolean }> {
  const result = await ctx.client.getBytes(url, { maxBytes: 64 * 1024 });
  if (result.ok) {
    observeResponse(ctx, result.value, release);
    return { bytes: result.value.bytes, unreachable: false };
  }
  observeError(ctx, result.error, release);
  return { unreachable: isAvailabilityFailure(result.error) };
}

async function fetchManifestFiles(
  ctx: SweepContext,
  urls: ManifestUrls,
  release: string,
): Promise<FetchOutcome> {
  const result = await ctx.client.getText(urls.shasums, {
    maxBytes: ctx.config.MAX_MANIFEST_BYTES,
  });
  if (!result.ok) {
    observeError(ctx, result.error, release);
    const error = result.error;
    const unservable = unservableReason(error);
    if (unservable !== undefined) return { kind: 'missing', reason: unservable };
    if (error.kind === 'too-large' || error.kind === 'invalid-utf8') {
      return { kind: 'unreadable', error: error.kind, detail: error.detail };
    }
    return { kind: 'unavailable' };
  }
  observeResponse(ctx, result.value, release);
  const detached = await fetchOptional(ctx, urls.signature, release);
  const clearsigned = await fetchOptional(ctx, urls.clearsigned, release);
  return {
    kind: 'files',
    files: {
      text: result.value.text,
      ...(detached.bytes && { detached: detached.bytes }),
      ...(clearsigned.bytes && { clearsigned: clearsigned.bytes }),
      signatureUnreachable: detached.unreachable || clearsigned.unreachable,
    },
  };
}

async function judge(
  ctx: SweepContext,
  files: ManifestFiles,
  trust: TrustedKeys,
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
  return { sha256, parsed, verdict };
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
    (pin !== undefined && pin.manifestSha256 !== judged.sha256) ||
    !judged.parsed.ok
  );
}

function sameBytes(a: Uint8Array | undefined, b: Uint8Array | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  return a.byteLength === b.byteLength && a.every((byte, index) => byte === b[index]);
}

/**
 * Fetches the origin's copies and reports every file the cache serves differently.
 * Returns the origin's files when any differed, else undefined (the cache is not to blame).
 */
async function checkAgainstOrigin(
  ctx: SweepContext,
  urls: ManifestUrls,
  cached: ManifestFiles,
  release: string,
): Promise<ManifestFiles | undefined> {
  if (!canRequest(ctx, `origin check ${release}`, 3)) return undefined;
  const bypass = (url: string) =>
    cacheBypassUrl(url, ctx.config.DIST_BASE_URL, ctx.config.ORIGIN_BASE_URL, ctx.sweepId);
  const originUrls: ManifestUrls = {
    shasums: bypass(urls.shasums),
    signature: bypass(urls.signature),
    clearsigned: bypass(urls.clearsigned),
  };
  const origin = await fetchManifestFiles(ctx, originUrls, release);
  if (origin.kind !== 'files') return undefined;
  const encoder = new TextEncoder();
  const pairs: [string, Uint8Array | undefined, Uint8Array | undefined][] = [
    [urls.shasums, encoder.encode(cached.text), encoder.encode(origin.files.text)],
    [urls.signature, cached.detached, origin.files.detached],
    [urls.clearsigned, cached.clearsigned, origin.files.clearsigned],
  ];
  let differed = false;
  for (const [url, cachedBytes, originBytes] of pairs) {
    if (sameBytes(cachedBytes, originBytes)) continue;
    differed = true;
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
  return differed ? origin.files : undefined;
}

function describeManifestErrors(errors: readonly ManifestError[]): string {
  return errors
    .slice(0, 5)
    .map((error) => ('line' in error ? `${error.kind} on line ${error.line}` : error.kind))
    .join('; ');
}

function entriesOf(manifest: Manifest): Record<string, string> {
  return Object.fromEntries(manifest.entries.map((entry) => [entry.name, entry.sha256]));
}

/** The files as served, in the fields the capture-evidence step keeps in R2. */
function servedFiles(files: ManifestFiles): Record<string, string> {
  const base64 = (bytes: Uint8Array) =>
    btoa(Array.from(bytes, (byte) => String.fromCharCode(byte)).join(''));
  return {
    [EVIDENCE_FIELDS.manifest]: files.text,
    ...(files.clearsigned && {
      [EVIDENCE_FIELDS.signature]: new TextDecoder().decode(files.clearsigned),
    }),
    ...(files.detached && { [EVIDENCE_FIELDS.signatureBinary]: base64(files.detached) }),
  };
}

/** Reports what is wrong with the (origin-confirmed) manifest. */
function reportManifest(
  ctx: SweepContext,
  urls: ManifestUrls,
  release: string,
  judged: JudgedManifest,
  pin: ReleasePin | undefined,
  files: ManifestFiles,
): void {
  const { verdict, sha256, parsed } = judged;
  if (verdict && !verdict.ok) {
    addFinding(ctx, {
      kind: 'manifest-signature-invalid',
      subject: urls.shasums,
      release,
      summary: `SHASUMS256.txt of ${release} is not validly signed by a trusted release key: ${verdict.reason}.`,
      expected: 'a valid signature by a pinned release key',
      observed: verdict.reason,
      evidence: {
        reason: verdict.reason,
        detail: verdict.detail,
        manifestSha256: sha256,
        signatureServed: files.detached !== undefined,
        clearsignedServed: files.clearsigned !== undefined,
        ...servedFiles(files),
      },
    });
  }
  if (pin && pin.manifestSha256 !== sha256) {
    const current = parsed.ok ? entriesOf(parsed.value) : {};
    const diff = compareManifests(
      Object.entries(pin.entries).map(([name, entrySha]) => ({ name, sha256: entrySha })),
      Object.entries(current).map(([name, entrySha]) => ({ name, sha256: entrySha })),
    );
    addFinding(ctx, {
      kind: 'manifest-changed',
      subject: urls.shasums,
      release,
      summary: `SHASUMS256.txt of ${release} differs from the copy pinned on ${pin.pinnedAt}${verdict?.ok ? ', although it is validly signed' : ''}.`,
      expected: pin.manifestSha256,
      observed: sha256,
      evidence: {
        pinnedSha256: pin.manifestSha256,
        servedSha256: sha256,
        pinnedAt: pin.pinnedAt,
        signedValidly: verdict?.ok ?? null,
        added: diff.added,
        removed: diff.removed,
        changed: diff.changed,
        pinnedEntries: pin.entries,
        servedEntries: current,
        parseErrors: parsed.ok ? [] : parsed.error.slice(0, 20),
        ...servedFiles(files),
      },
    });
  } else if (!parsed.ok) {
    addFinding(ctx, {
      kind: 'manifest-signature-invalid',
      subject: urls.shasums,
      release,
      summary: `SHASUMS256.txt of ${release} does not parse: ${describeManifestErrors(parsed.error)}.`,
      expected: 'one `<sha256>  <relative path>` per line',
      observed: describeManifestErrors(parsed.error),
      evidence: { parseErrors: parsed.error.slice(0, 20), manifestSha256: sha256 },
    });
  }
}

/**
 * Checks a release's manifest. Returns the judged manifest, or undefined when there is
 * none to judge (missing, unreadable or unreachable: reported or skipped here).
 */
export async function sweepManifest(
  ctx: SweepContext,
  release: string,
  trust: TrustedKeys,
  pin: ReleasePin | undefined,
): Promise<JudgedManifest | undefined> {
  const urls = manifestUrls(ctx.config.DIST_BASE_URL, release);
  if (!canRequest(ctx, `release ${release}`, 3)) return undefined;
  const fetched = await fetchManifestFiles(ctx, urls, release);
  if (fetched.kind === 'missing') {
    addFinding(ctx, {
      kind: 'manifest-missing',
      subject: urls.shasums,
      release,
      summary: `${release} is listed in index.json but its SHASUMS256.txt is not served (${fetched.reason}).`,
      expected: 'HTTP 200',
      observed: fetched.reason,
      evidence: { reason: fetched.reason },
    });
    return undefined;
  }
  if (fetched.kind === 'unreadable') {
    addFinding(ctx, {
      kind: 'manifest-signature-invalid',
      subject: urls.shasums,
      release,
      summary: `SHASUMS256.txt of ${release} cannot be verified: ${fetched.error} (${fetched.detail}).`,
      expected: `a UTF-8 manifest under ${ctx.config.MAX_MANIFEST_BYTES} bytes`,
      observed: fetched.error,
      evidence: { error: fetched.error, detail: fetched.detail },
    });
    return undefined;
  }
  if (fetched.kind === 'unavailable') {
    skip(ctx, `release ${release}`, 'manifest-unavailable');
    return undefined;
  }
  let files = fetched.files;
  let judged = await judge(ctx, files, trust);
  if (trust.unavailable) skip(ctx, `signature ${release}`, 'keys-unavailable');
  else if (cannotJudgeSignature(files)) skip(ctx, `signature ${release}`, 'manifest-unavailable');
  if (isSuspect(judged, pin)) {
    const origin = await checkAgainstOrigin(ctx, urls, files, release);
    if (origin) {
      files = origin;
      judged = await judge(ctx, files, trust);
    }
  }
  reportManifest(ctx, urls, release, judged, pin, files);
  return judged;
}
