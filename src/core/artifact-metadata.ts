/**
 * An artifact's served metadata (size, ETag, Last-Modified) against its pin, and what to do
 * when only the ETag or Last-Modified moved: bytes decide integrity.
 *
 * Contract: pure. Metadata is a cheap trigger, never a verdict: a changed ETag or
 * Last-Modified makes the monitor hash the artifact at once, and when the bytes match the
 * signed hash (and the size is the pinned one) the pin is re-baselined to the new metadata
 * with an audit record (`planRebaseline`) and one public, low-severity notice per cause
 * (`rebaselineNotice`), which closes itself. A size change is never re-baselined: it stays
 * `artifact-metadata-changed`. The causes are the real release worker's routine ones: its
 * origin fallback (nginx ETags `"<hex mtime>-<hex size>"`, `cache-tag: …release-worker:origin`),
 * metadata coming back to an earlier proven baseline (R2 answering again), or a re-upload of
 * identical bytes.
 */
import type { FindingInput } from './findings';
import { err, ok, type Result } from './result';

/** What a HEAD or GET says about an artifact, as pinned. */
export interface ArtifactMetadata {
  readonly size?: number;
  readonly etag?: string;
  readonly lastModified?: string;
}

/** The metadata fields a pin compares; `size` is never re-baselined. */
export type MetadataField = 'size' | 'ETag' | 'Last-Modified';

/**
 * Why the served metadata of verified bytes changed. `metadata-restored` (back to metadata a
 * hash proved before: R2 answering again after a fallback) is kept in the audit trail only,
 * with no notice: the fallback's notice told the story, and its end is routine.
 */
export type RebaselineCause = 'origin-fallback' | 'metadata-restored' | 'republished';

export const REBASELINE_CAUSES: readonly RebaselineCause[] = [
  'origin-fallback',
  'metadata-restored',
  'republished',
];

/** One re-baselining of an artifact's pin: the audit record operators read. */
export interface RebaselineRecord {
  /** When the pin was re-baselined (ISO-8601). */
  readonly at: string;
  readonly cause: RebaselineCause;
  readonly changed: readonly MetadataField[];
  readonly from: ArtifactMetadata;
  readonly to: ArtifactMetadata;
  /** The SHA-256 the bytes served with `to` hashed to: the signed hash, which proved them. */
  readonly sha256: string;
  readonly bytes: number;
  /** The sweep whose job hashed them. */
  readonly sweepId: string;
}

/** An artifact's pin: the metadata first observed (or last re-baselined) and its audit trail. */
export interface PinnedArtifact extends ArtifactMetadata {
  /** When the artifact was first pinned; a re-baseline keeps it. */
  readonly pinnedAt: string;
  /** Re-baselines, oldest first, at most MAX_REBASELINE_RECORDS. */
  readonly rebaselines?: readonly RebaselineRecord[];
}

/** Audit records kept per artifact: one value per release stays small (docs/storage.md). */
export const MAX_REBASELINE_RECORDS = 10;

/** Metadata as the response headers (lowercase names) carry it. */
export function metadataOf(headers: Readonly<Record<string, string>>): ArtifactMetadata {
  const length = headers['content-length'];
  const size = length !== undefined && /^\d+$/.test(length) ? Number(length) : undefined;
  return {
    ...(size !== undefined && { size }),
    ...(headers['etag'] !== undefined && { etag: headers['etag'] }),
    ...(headers['last-modified'] !== undefined && { lastModified: headers['last-modified'] }),
  };
}

/**
 * Which pinned fields differ; a field that was not observed at pin time is not compared, and
 * neither is a size not observed now (a HEAD without Content-Length says nothing about the
 * length; another length does).
 */
export function compareMetadata(
  pinned: ArtifactMetadata,
  observed: ArtifactMetadata,
): MetadataField[] {
  const changes: MetadataField[] = [];
  if (pinned.size !== undefined && observed.size !== undefined && observed.size !== pinned.size) {
    changes.push('size');
  }
  if (pinned.etag !== undefined && observed.etag !== pinned.etag) changes.push('ETag');
  if (pinned.lastModified !== undefined && observed.lastModified !== pinned.lastModified) {
    changes.push('Last-Modified');
  }
  return changes;
}

export function describeMetadata(meta: ArtifactMetadata): string {
  return `size ${meta.size ?? '?'}, ETag ${meta.etag ?? '-'}, Last-Modified ${meta.lastModified ?? '-'}`;
}

/** Only the comparable fields, e.g. to store or compare without `pinnedAt`. */
export function metadataFields(meta: ArtifactMetadata): ArtifactMetadata {
  return {
    ...(meta.size !== undefined && { size: meta.size }),
    ...(meta.etag !== undefined && { etag: meta.etag }),
    ...(meta.lastModified !== undefined && { lastModified: meta.lastModified }),
  };
}

/**
 * nginx's ETag, which the release worker's origin fallback passes on: `"<hex mtime>-<hex
 * size>"`. Only counted as such when its size part is the response's size, so an R2
 * multipart ETag (`"<md5>-<parts>"`) is not mistaken for it.
 */
export function isNginxEtag(etag: string | undefined, size: number | undefined): boolean {
  if (etag === undefined || size === undefined) return false;
  const match = /^(?:W\/)?"([0-9a-f]{1,16})-([0-9a-f]{1,16})"$/i.exec(etag.trim());
  return match !== null && Number.parseInt(match[2] ?? '', 16) === size;
}

/** The release worker tags what its origin fallback served `release-worker:origin`. */
export function isOriginFallbackResponse(
  headers: Readonly<Record<string, string>>,
  meta: ArtifactMetadata = metadataOf(headers),
): boolean {
  const tags = (headers['cache-tag'] ?? '').split(',').map((tag) => tag.trim().toLowerCase());
  return tags.includes('release-worker:origin') || isNginxEtag(meta.etag, meta.size);
}

/**
 * The cause of a metadata change whose bytes verified: the origin fallback (by its headers),
 * a return to a baseline proven before (the audit trail's earlier metadata), the end of the
 * fallback for a file first pinned from it, else a re-upload.
 *
 * A release published while R2 is down is first pinned with the fallback's nginx ETag; when
 * R2 answers again, the same file keeps its Last-Modified and gets R2's ETag, with no earlier
 * baseline to return to. That is the fallback's doing, so it joins the fallback's notice
 * (still a notice, never silent); a new Last-Modified as well is a re-upload.
 */
export function classifyRebaselineCause(
  pinned: PinnedArtifact,
  observed: ArtifactMetadata,
  headers: Readonly<Record<string, string>>,
): RebaselineCause {
  if (isOriginFallbackResponse(headers, observed)) return 'origin-fallback';
  const earlier = (pinned.rebaselines ?? []).map((record) => record.from);
  const restored = earlier.some(
    (meta) => meta.etag === observed.etag && meta.lastModified === observed.lastModified,
  );
  if (restored) return 'metadata-restored';
  const pinnedFromFallback =
    isNginxEtag(pinned.etag, pinned.size) &&
    pinned.lastModified !== undefined &&
    pinned.lastModified === observed.lastModified;
  return pinnedFromFallback ? 'origin-fallback' : 'republished';
}

/** What the hash proved: the served bytes, their digest and the headers they came with. */
export interface RebaselineProof {
  readonly sha256: string;
  readonly bytes: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly sweepId: string;
}

export type RebaselineRefusal =
  | { readonly kind: 'hash-differs' }
  | { readonly kind: 'size-changed'; readonly pinned: number; readonly served: number }
  | { readonly kind: 'pin-moved' }
  | { readonly kind: 'already-rebaselined' }
  | { readonly kind: 'served-other-metadata'; readonly served: ArtifactMetadata };

/**
 * The new pin of one artifact after its bytes verified, or why it stays as it is.
 *
 * @param current the artifact's pin as stored now
 * @param expected the pin the sweep compared with when it queued the hash (a pin that moved
 *   since, e.g. re-baselined by another delivery, is left alone)
 * @param observed the metadata the sweep's HEAD saw
 * @param signedSha256 the signed hash the bytes had to match
 */
export function planRebaseline(input: {
  readonly current: PinnedArtifact;
  readonly expected: ArtifactMetadata;
  readonly observed: ArtifactMetadata;
  readonly signedSha256: string;
  readonly proof: RebaselineProof;
  readonly now: Date;
}): Result<{ readonly pin: PinnedArtifact; readonly record: RebaselineRecord }, RebaselineRefusal> {
  const { current, expected, observed, proof } = input;
  if (proof.sha256 !== input.signedSha256) return err({ kind: 'hash-differs' });
  if (current.size !== undefined && proof.bytes !== current.size) {
    return err({ kind: 'size-changed', pinned: current.size, served: proof.bytes });
  }
  const target = {
    ...metadataFields(observed),
    ...(current.size !== undefined && { size: current.size }),
  };
  if (compareMetadata(current, target).length === 0) return err({ kind: 'already-rebaselined' });
  if (
    compareMetadata(current, expected).length > 0 ||
    compareMetadata(expected, current).length > 0
  ) {
    return err({ kind: 'pin-moved' });
  }
  // The proof is about the metadata the bytes were served with: a GET that came with other
  // ETag / Last-Modified than the HEAD saw proves nothing about the HEAD's.
  const served = metadataOf(proof.headers);
  const servedOther =
    served.etag !== observed.etag || served.lastModified !== observed.lastModified;
  if (servedOther) return err({ kind: 'served-other-metadata', served: metadataFields(served) });

  const changed = compareMetadata(current, target);
  const record: RebaselineRecord = {
    at: input.now.toISOString(),
    cause: classifyRebaselineCause(current, target, proof.headers),
    changed,
    from: metadataFields(current),
    to: target,
    sha256: proof.sha256,
    bytes: proof.bytes,
    sweepId: proof.sweepId,
  };
  const rebaselines = [...(current.rebaselines ?? []), record].slice(-MAX_REBASELINE_RECORDS);
  return ok({ pin: { ...target, pinnedAt: current.pinnedAt, rebaselines }, record });
}

const CAUSE_SUMMARY: Readonly<Record<RebaselineCause, string>> = {
  'origin-fallback':
    'served from the release worker’s origin fallback (nginx ETags, `cache-tag: release-worker:origin`), as when R2 is unavailable, or served from R2 again after being first pinned from it',
  'metadata-restored': 'back to metadata proven before, as when R2 answers again after a fallback',
  republished: 'served with new ETag or Last-Modified, as after a re-upload of identical bytes',
};

/** Artifacts one notice lists in its evidence; the audit trail in the pins has them all. */
export const MAX_NOTICE_ARTIFACTS = 50;

/** One artifact in a notice's evidence. */
export interface RebaselinedArtifact {
  readonly url: string;
  readonly release: string;
  readonly name: string;
  readonly record: RebaselineRecord;
}

/**
 * The subject of a cause's notice: one incident per cause, not per artifact, so 56 artifacts
 * of one fallback are one notice (`<base>#origin-fallback`).
 */
export function rebaselineNoticeSubject(baseUrl: string, cause: RebaselineCause): string {
  return `${baseUrl}#${cause}`;
}

/** Causes that raise a notice; the others are recorded in the pins' audit trail only. */
export function isNoticeCause(cause: RebaselineCause): boolean {
  return cause !== 'metadata-restored';
}

/** The public, low-severity notice for artifacts re-baselined for one cause. */
export function rebaselineNotice(
  baseUrl: string,
  cause: RebaselineCause,
  artifacts: readonly RebaselinedArtifact[],
): FindingInput {
  const listed = artifacts.slice(0, MAX_NOTICE_ARTIFACTS);
  const count = artifacts.length;
  const releases = [...new Set(artifacts.map((artifact) => artifact.release))].sort();
  return {
    kind: 'artifact-rebaselined',
    subject: rebaselineNoticeSubject(baseUrl, cause),
    summary: `${count} artifact${count === 1 ? ' was' : 's were'} ${CAUSE_SUMMARY[cause]}; every one hashed to its signed SHA-256 with its pinned size, so the pins were re-baselined (audit records in the pins).`,
    expected: 'artifact metadata as pinned',
    observed: `${count} re-baselined (${cause})`,
    ...(releases.length === 1 && { release: releases[0] }),
    evidence: {
      cause,
      count,
      artifacts: listed.map((artifact) => ({
        url: artifact.url,
        release: artifact.release,
        name: artifact.name,
        ...artifact.record,
      })),
      ...(count > listed.length && { omitted: count - listed.length }),
    },
  };
}
