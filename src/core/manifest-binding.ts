/**
 * Binding a validly signed manifest to the release it is served for. A good signature
 * proves that a release key signed *some* SHASUMS256.txt at *some* claimed time; it does
 * not prove that this is the manifest of this release, signed for it. Without binding, a
 * site could serve v25.1.0's signed files as v25.2.0's, or a manifest an old, expired or
 * retired key signed with a backdated creation time, and the monitor would pin it.
 *
 * Contract: `bindManifest` is pure (no clock: times come in), never throws, and takes only
 * what a client outside Cloudflare also has (the manifest's names, the signature verdict,
 * index.json's release date, what it knows of the release's first sighting), so the monitor
 * and `dist-verify` judge with one implementation. A manifest is bound when all hold:
 *
 * 1. **Names.** Every entry name that carries a version (`v<major>.<minor>.<patch>`, as in
 *    `node-v25.2.0-linux-x64.tar.xz`) carries this release's version, and at least one does.
 *    Unversioned names (`win-x64/node.exe`, v0.10.0's flat `node.exe`, `x64/node.lib`) are
 *    fine: every real manifest lists its tarballs by version.
 * 2. **Not signed before the release existed.** The signature is dated no earlier than the
 *    release's date in index.json minus RELEASE_DATE_TOLERANCE_MS. The signature verifier
 *    (signature.ts) already demands that the key was valid when the signature says it was
 *    made; together the key was active at the release's date. Signatures made later than
 *    the release are fine: old releases' SHASUMS256.txt were signed days after (v0.10.0:
 *    released 2013-03-11, signed 2013-03-17).
 * 3. **Retired keys sign nothing new.** A key the release team lists as retired
 *    (release-keys.ts) cannot bind a brand-new release, nor any signature dated after the
 *    list was taken (RELEASE_KEYS_LISTED_AT): by then it was retired.
 * 4. **A brand-new release carries a fresh signature.** A release first seen by the monitor
 *    after its baseline (or newer than anything it had seen) was signed at its
 *    publication, so its signature is dated no earlier than the last time the monitor saw
 *    index.json without it, minus NEW_RELEASE_SIGNING_LEAD_MS. The signer chooses the
 *    creation time, so this is what stops a signature dated 2015 by a since-expired key, or
 *    a SHA-1 signature dated 2016-12-31 (just before the SHA-1 cutoff), from pinning a
 *    release that appeared today.
 */
import { RELEASE_KEYS_LISTED_AT, pinnedReleaseKey } from './release-keys';
import { err, ok, type Result } from './result';

/** index.json dates a release by its UTC day; signing may precede it by time zones and prep. */
export const RELEASE_DATE_TOLERANCE_MS = 3 * 24 * 60 * 60 * 1000;
/**
 * How long before a brand-new release was (at the earliest) listed its signature may be
 * dated. Releases are signed at promotion, minutes before index.json lists them; two weeks
 * leave room for a slow promotion, never for a signature years old.
 */
export const NEW_RELEASE_SIGNING_LEAD_MS = 14 * 24 * 60 * 60 * 1000;

/** The part of a release version as it appears inside a file name. */
const VERSION_IN_NAME = /(?<![0-9A-Za-z])v\d+\.\d+\.\d+(?![0-9])/g;

export type BindingFailureReason =
  | 'names-another-release'
  | 'names-no-file-of-release'
  | 'signed-before-release'
  | 'retired-key'
  | 'signed-before-first-sighting';

export interface BindingFailure {
  readonly reason: BindingFailureReason;
  /** One sentence for humans (findings, `dist-verify` output). */
  readonly detail: string;
}

/**
 * What the monitor knows about when a release appeared. `baseline`: listed when the monitor
 * first read index.json (or known long enough): trust on first use applies. `new`: first
 * seen after the baseline, at `firstSeenAt`; `notListedAt` is the last time index.json was
 * read without it (absent when unknown, e.g. right after an upgrade).
 */
export type ReleaseNovelty =
  | { readonly kind: 'baseline' }
  | { readonly kind: 'new'; readonly firstSeenAt: Date; readonly notListedAt?: Date };

/** The facts of a good signature that binding looks at (a subset of `SignatureVerdict`). */
export interface SignatureFacts {
  /** Primary-key fingerprint, 40 hex. */
  readonly signer: string;
  readonly signedAt: Date;
}

export interface ManifestBindingInput {
  /** The release the manifest is served for, e.g. `v25.2.0`. */
  readonly version: string;
  /** Every entry name of the (parsed) manifest. */
  readonly names: readonly string[];
  readonly signature: SignatureFacts;
  /** index.json's `date` (`YYYY-MM-DD`), the pinned one when there is a pin; when known. */
  readonly releaseDate?: string;
  /** Absent when unknown: rule 4 is then not applied. */
  readonly novelty?: ReleaseNovelty;
}

/** Rule 1 alone: the manifest's names belong to `version`. */
export function checkManifestNames(
  version: string,
  names: readonly string[],
): Result<void, BindingFailure> {
  const others = new Set<string>();
  let namesThis = false;
  for (const name of names) {
    for (const match of name.matchAll(VERSION_IN_NAME)) {
      if (match[0] === version) namesThis = true;
      else others.add(match[0]);
    }
  }
  if (others.size > 0) {
    const listed = [...others].slice(0, 3).join(', ');
    return err({
      reason: 'names-another-release',
      detail: `it lists files of ${listed}${others.size > 3 ? ' and others' : ''}, not of ${version}`,
    });
  }
  if (!namesThis) {
    return err({
      reason: 'names-no-file-of-release',
      detail: `none of its ${names.length} file names carries ${version}`,
    });
  }
  return ok(undefined);
}

/** Rules 2–4: the signature was made for this release, by a key active for it. */
export function checkSignatureBinding(
  input: Omit<ManifestBindingInput, 'names'>,
): Result<void, BindingFailure> {
  const { signature, version } = input;
  const signedAt = signature.signedAt.getTime();
  const signedIso = signature.signedAt.toISOString();

  if (input.releaseDate !== undefined) {
    const released = Date.parse(`${input.releaseDate}T00:00:00Z`);
    if (Number.isFinite(released) && signedAt < released - RELEASE_DATE_TOLERANCE_MS) {
      return err({
        reason: 'signed-before-release',
        detail: `the signature is dated ${signedIso}, before ${version} was released on ${input.releaseDate}`,
      });
    }
  }

  const key = pinnedReleaseKey(signature.signer);
  const brandNew = input.novelty?.kind === 'new';
  if (key?.status === 'retired') {
    const listedAt = Date.parse(`${RELEASE_KEYS_LISTED_AT}T00:00:00Z`);
    if (brandNew || signedAt >= listedAt) {
      return err({
        reason: 'retired-key',
        detail: `signed by the retired release key of ${key.owner} (${key.fingerprint}), which ${
          brandNew
            ? `cannot sign a release first seen now`
            : `was retired by ${RELEASE_KEYS_LISTED_AT}, before the signature's date ${signedIso}`
        }`,
      });
    }
  }

  if (input.novelty?.kind === 'new') {
    const since = input.novelty.notListedAt ?? input.novelty.firstSeenAt;
    const earliest = since.getTime() - NEW_RELEASE_SIGNING_LEAD_MS;
    if (signedAt < earliest) {
      return err({
        reason: 'signed-before-first-sighting',
        detail: `the signature is dated ${signedIso}, but ${version} first appeared after ${since.toISOString()}: a new release is signed when it is published`,
      });
    }
  }
  return ok(undefined);
}

/** Every rule, names first. */
export function bindManifest(input: ManifestBindingInput): Result<void, BindingFailure> {
  const names = checkManifestNames(input.version, input.names);
  if (!names.ok) return names;
  return checkSignatureBinding(input);
}
