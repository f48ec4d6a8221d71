/**
 * One release's signed manifest, judged from outside: fetch SHASUMS256.txt, .sig and .asc,
 * verify the signatures with the core's rules (src/core/signature.ts: every form given
 * must verify, judged at signing time, SHA-1 only before the cutoff), parse the manifest
 * with the core's strict parser, and bind it to the release with the core's rules
 * (src/core/manifest-binding.ts: it names this release's files; its signature is not older
 * than the release's index.json date; no retired key signed it after retiring). The rule
 * that needs the monitor's memory of when a release first appeared is not applied here.
 *
 * Contract: never throws for anything the site does; every outcome is the manifest (when
 * it can be trusted) plus problems. A signature that cannot be judged because the site
 * did not answer, or because the signer's key may be among those that failed to load, is
 * `unreachable` / `keys-unavailable` (exit 2), never a verification failure.
 */
import { sha256Hex } from '../core/digest';
import { bindManifest } from '../core/manifest-binding';
import { parseManifest, type Manifest, type ManifestError } from '../core/manifest';
import { manifestUrls } from '../core/manifest-urls';
import { verifyManifestSignature, type SignatureVerdict } from '../core/signature';
import type { DistClient } from '../adapters/dist-client';
import { classifyRequestError } from './http';
import type { Problem } from './problems';
import type { TrustSet } from './trust';

/** The signature as the report shows it. */
export type SignatureReport =
  | {
      readonly ok: true;
      /** Primary-key fingerprint, 40 hex uppercase. */
      readonly signer: string;
      readonly owner?: string;
      readonly signingKeyId: string;
      readonly signedAt: string;
      readonly hashAlgorithm: string;
      readonly via: readonly ('detached' | 'clearsigned')[];
    }
  | { readonly ok: false; readonly reason: string; readonly detail: string };

export interface ManifestReport {
  readonly url: string;
  /** index.json's date of the release (`YYYY-MM-DD`), when index.json lists it. */
  readonly releaseDate?: string;
  /** SHA-256 of SHASUMS256.txt as served. */
  readonly sha256?: string;
  readonly entries?: number;
  readonly signature?: SignatureReport;
}

export interface ManifestCheck {
  readonly report: ManifestReport;
  /** Present only when the manifest is validly signed and parses. */
  readonly manifest?: Manifest;
  readonly problems: readonly Problem[];
}

export interface ManifestCheckContext {
  readonly client: DistClient;
  readonly trust: TrustSet;
  readonly distUrl: string;
  readonly maxManifestBytes: number;
  readonly sha1Cutoff: Date;
  readonly now: Date;
  /** index.json's date of the release, for the binding rules; undefined when unknown. */
  readonly releaseDate?: string;
}

/** The signature files are small; anything larger is not a signature. */
const MAX_SIGNATURE_BYTES = 64 * 1024;

type Optional =
  | { readonly kind: 'bytes'; readonly bytes: Uint8Array }
  | { readonly kind: 'absent' }
  | { readonly kind: 'unreachable'; readonly detail: string }
  | { readonly kind: 'problem'; readonly problem: Problem };

export async function checkManifest(
  ctx: ManifestCheckContext,
  release: string,
): Promise<ManifestCheck> {
  const urls = manifestUrls(ctx.distUrl, release);
  const base: ManifestReport = {
    url: urls.shasums,
    ...(ctx.releaseDate !== undefined && { releaseDate: ctx.releaseDate }),
  };
  const fail = (problem: Problem, report: ManifestReport = base): ManifestCheck => ({
    report,
    problems: [problem],
  });

  const fetched = await ctx.client.getText(urls.shasums, { maxBytes: ctx.maxManifestBytes });
  if (!fetched.ok) {
    const verdict = classifyRequestError(fetched.error);
    const subject = urls.shasums;
    switch (verdict.kind) {
      case 'not-served':
        return fail({
          code: 'manifest-missing',
          kind: 'manifest-missing',
          subject,
          release,
          message: `The site does not serve SHASUMS256.txt for ${release} (${verdict.detail}). If ${release} is a real release, the site is failing to serve it.`,
        });
      case 'unacceptable':
        return fail({
          code: 'manifest-invalid',
          kind: 'manifest-signature-invalid',
          subject,
          release,
          message: `SHASUMS256.txt of ${release} cannot be verified: ${verdict.detail}.`,
        });
      case 'foreign-redirect':
        return fail(foreignRedirect(subject, release, verdict.detail));
      case 'unreachable':
        return fail(unreachable(subject, release, verdict.detail));
    }
  }
  const text = fetched.value.text;
  const report: ManifestReport = { ...base, sha256: await sha256Hex(text) };

  const [detached, clearsigned] = await Promise.all([
    fetchOptional(ctx.client, urls.signature, release),
    fetchOptional(ctx.client, urls.clearsigned, release),
  ]);
  const redirectProblems = [detached, clearsigned].flatMap((file) =>
    file.kind === 'problem' ? [file.problem] : [],
  );
  if (redirectProblems.length > 0) return { report, problems: redirectProblems };
  if (detached.kind !== 'bytes' && clearsigned.kind !== 'bytes') {
    const unanswered = [detached, clearsigned].find((file) => file.kind === 'unreachable');
    if (unanswered?.kind === 'unreachable') {
      return fail(unreachable(urls.signature, release, unanswered.detail), report);
    }
    return fail(
      {
        code: 'unsigned',
        kind: 'manifest-signature-invalid',
        reason: 'missing',
        subject: urls.shasums,
        release,
        message: `SHASUMS256.txt of ${release} is served without a signature (neither SHASUMS256.txt.sig nor SHASUMS256.txt.asc). Do not trust its hashes.`,
      },
      { ...report, signature: { ok: false, reason: 'missing', detail: 'no signature served' } },
    );
  }

  const verdict = await verifyManifestSignature({
    manifestText: text,
    ...(detached.kind === 'bytes' && { detachedSignature: detached.bytes }),
    ...(clearsigned.kind === 'bytes' && {
      clearsigned: new TextDecoder().decode(clearsigned.bytes),
    }),
    trustedKeys: ctx.trust.keys,
    sha1Cutoff: ctx.sha1Cutoff,
    now: ctx.now,
  });
  const signed: ManifestReport = { ...report, signature: signatureReport(verdict, ctx.trust) };
  if (!verdict.ok) return fail(signatureProblem(verdict, ctx.trust, urls.shasums, release), signed);

  const parsed = parseManifest(text, { maxBytes: ctx.maxManifestBytes });
  if (!parsed.ok) {
    return fail(
      {
        code: 'manifest-invalid',
        kind: 'manifest-signature-invalid',
        subject: urls.shasums,
        release,
        message: `SHASUMS256.txt of ${release} is signed but does not parse: ${describeManifestErrors(parsed.error)}.`,
      },
      signed,
    );
  }
  const manifest = parsed.value;
  const bound = bindManifest({
    version: release,
    names: manifest.entries.map((entry) => entry.name),
    signature: verdict,
    ...(ctx.releaseDate !== undefined && { releaseDate: ctx.releaseDate }),
  });
  if (!bound.ok) {
    return fail(
      {
        code: 'manifest-binding',
        kind: 'manifest-signature-invalid',
        reason: bound.error.reason,
        subject: urls.shasums,
        release,
        message: `SHASUMS256.txt served for ${release} is signed by a release key, but not for ${release}: ${bound.error.detail}. Do not trust its hashes for ${release}.`,
      },
      { ...signed, entries: manifest.entries.length },
    );
  }
  return {
    report: { ...signed, entries: manifest.entries.length },
    manifest,
    problems: [],
  };
}

async function fetchOptional(client: DistClient, url: string, release: string): Promise<Optional> {
  const result = await client.getBytes(url, { maxBytes: MAX_SIGNATURE_BYTES });
  if (result.ok) return { kind: 'bytes', bytes: result.value.bytes };
  const verdict = classifyRequestError(result.error);
  if (verdict.kind === 'foreign-redirect') {
    return { kind: 'problem', problem: foreignRedirect(url, release, verdict.detail) };
  }
  if (verdict.kind === 'unreachable') return { kind: 'unreachable', detail: verdict.detail };
  // Not served, or not a plausible signature file: as if absent (the Worker does the same).
  return { kind: 'absent' };
}

function signatureReport(verdict: SignatureVerdict, trust: TrustSet): SignatureReport {
  if (!verdict.ok) return { ok: false, reason: verdict.reason, detail: verdict.detail };
  const owner = trust.ownerOf(verdict.signer);
  return {
    ok: true,
    signer: verdict.signer,
    ...(owner !== undefined && { owner }),
    signingKeyId: verdict.signingKeyId,
    signedAt: verdict.signedAt.toISOString(),
    hashAlgorithm: verdict.hashAlgorithm,
    via: verdict.via,
  };
}

function signatureProblem(
  verdict: Extract<SignatureVerdict, { ok: false }>,
  trust: TrustSet,
  subject: string,
  release: string,
): Problem {
  const common = { subject, release, reason: verdict.reason } as const;
  if (verdict.reason === 'unknown-key' && trust.unavailable.length > 0) {
    const missing = trust.unavailable.map((failure) => failure.fingerprint);
    return {
      ...common,
      code: 'keys-unavailable',
      message: `SHASUMS256.txt of ${release} is signed by a key that is not among those loaded (${verdict.detail}), and ${missing.length} pinned release key(s) could not be loaded (${missing.slice(0, 3).join(', ')}${missing.length > 3 ? ', …' : ''}). Retry, or pass the release keys with --keys <file>.`,
    };
  }
  if (verdict.reason === 'unknown-key') {
    return {
      ...common,
      code: 'unknown-key',
      kind: 'manifest-signature-invalid',
      message: `SHASUMS256.txt of ${release} is signed by an unknown key: ${verdict.detail}. It was not signed by ${trust.source === 'pinned' ? 'a Node.js release key' : 'a key in the --keys file'}; do not trust its hashes.`,
    };
  }
  return {
    ...common,
    code: 'signature-invalid',
    kind: 'manifest-signature-invalid',
    message: `The signature of SHASUMS256.txt of ${release} does not verify (${verdict.reason}): ${verdict.detail}. Do not trust its hashes.`,
  };
}

function describeManifestErrors(errors: readonly ManifestError[]): string {
  return errors
    .slice(0, 3)
    .map((error) => ('line' in error ? `${error.kind} on line ${error.line}` : error.kind))
    .join('; ');
}

export function unreachable(subject: string, release: string | undefined, detail: string): Problem {
  return {
    code: 'unreachable',
    subject,
    ...(release !== undefined && { release }),
    message: `Could not fetch ${subject}: ${detail}. Nothing was verified for it; try again later or check --dist-url.`,
  };
}

export function foreignRedirect(
  subject: string,
  release: string | undefined,
  detail: string,
): Problem {
  return {
    code: 'foreign-redirect',
    kind: 'foreign-redirect',
    subject,
    ...(release !== undefined && { release }),
    message: `${subject} ${detail}, a host that is not allowed to serve Node.js releases.`,
  };
}
