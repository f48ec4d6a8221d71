/**
 * The findings about one release's manifest as users are served it: not validly signed,
 * not bound to the release it is served for, changed from its pin, or not a manifest.
 * Severity by harm: these are judged on the files of the plain URL, whatever a fetch past
 * the cache shows (a cache-vs-origin difference adds `cache-poisoned`, see sweep-manifest.ts).
 */
import type { BindingFailure } from '../core/manifest-binding';
import { compareManifests, type Manifest, type ManifestError } from '../core/manifest';
import type { ManifestUrls } from '../core/manifest-urls';
import { EVIDENCE_FIELDS } from '../core/playbooks';
import type { Result } from '../core/result';
import type { SignatureVerdict } from '../core/signature';
import type { ReleasePin } from '../adapters/pin-store';
import type { ManifestFiles } from './manifest-files';
import { addFinding, type SweepContext } from './sweep-context';

/** The manifest as judged this sweep. */
export interface JudgedManifest {
  readonly sha256: string;
  /** Undefined when no key material was available. */
  readonly verdict?: SignatureVerdict;
  readonly parsed: Result<Manifest, ManifestError[]>;
  /** Whether a good signature binds the manifest to its release; undefined when not judged. */
  readonly binding?: Result<void, BindingFailure>;
}

/** True when the manifest may create a pin: parsed, validly signed, bound to its release. */
export function isPinnable(judged: JudgedManifest): boolean {
  return judged.parsed.ok && judged.verdict?.ok === true && judged.binding?.ok === true;
}

export function describeManifestErrors(errors: readonly ManifestError[]): string {
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

function reportSignature(
  ctx: SweepContext,
  urls: ManifestUrls,
  release: string,
  judged: JudgedManifest,
  files: ManifestFiles,
): void {
  const { verdict, sha256, binding } = judged;
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
    return;
  }
  if (verdict?.ok && binding && !binding.ok) {
    addFinding(ctx, {
      kind: 'manifest-signature-invalid',
      subject: urls.shasums,
      release,
      summary: `SHASUMS256.txt of ${release} is signed by a release key, but not for ${release}: ${binding.error.detail}.`,
      expected: `a manifest of ${release}, signed for it by a key active at its release`,
      observed: `not bound to ${release}: ${binding.error.reason}`,
      evidence: {
        reason: binding.error.reason,
        detail: binding.error.detail,
        signer: verdict.signer,
        signingKeyId: verdict.signingKeyId,
        signedAt: verdict.signedAt.toISOString(),
        hashAlgorithm: verdict.hashAlgorithm,
        signingKeyCreatedAt: verdict.signingKeyCreatedAt.toISOString(),
        signingKeyExpiresAt: verdict.signingKeyExpiresAt?.toISOString() ?? null,
        manifestSha256: sha256,
        ...servedFiles(files),
      },
    });
  }
}

/** Reports what is wrong with the manifest users are served. */
export function reportManifest(
  ctx: SweepContext,
  urls: ManifestUrls,
  release: string,
  judged: JudgedManifest,
  pin: ReleasePin | undefined,
  files: ManifestFiles,
): void {
  const { verdict, sha256, parsed } = judged;
  reportSignature(ctx, urls, release, judged, files);
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

/** A manifest body the monitor could not read as one (too large, not UTF-8). */
export function reportUnreadableManifest(
  ctx: SweepContext,
  urls: ManifestUrls,
  release: string,
  error: string,
  detail: string,
): void {
  addFinding(ctx, {
    kind: 'manifest-signature-invalid',
    subject: urls.shasums,
    release,
    summary: `SHASUMS256.txt of ${release} cannot be verified: ${error} (${detail}).`,
    expected: `a UTF-8 manifest under ${ctx.config.MAX_MANIFEST_BYTES} bytes`,
    observed: error,
    evidence: { error, detail },
  });
}
