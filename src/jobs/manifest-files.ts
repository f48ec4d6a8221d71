/**
 * Fetching a release's signed manifest files (SHASUMS256.txt, `.sig`, `.asc`) and noting
 * what each answered, for the silence rule (core/manifest-silence.ts): SHASUMS256.txt of
 * any release asked for, and the signature files a pin says were served when it was made.
 * Fetches past the cache (the origin check) are never noted: users are served the plain URL.
 */
import type { SignatureForm } from '../core/signature';
import { classifyManifestAnswer, type ManifestAnswer } from '../core/manifest-silence';
import type { ManifestUrls } from '../core/manifest-urls';
import type { HttpError } from '../adapters/dist-client';
import {
  isAvailabilityFailure,
  observeError,
  observeResponse,
  type SweepContext,
  unservableReason,
} from './sweep-context';

/** Signature files are small; anything bigger is not one. */
export const SIGNATURE_MAX_BYTES = 64 * 1024;

export interface ManifestFiles {
  readonly text: string;
  readonly detached?: Uint8Array;
  readonly clearsigned?: Uint8Array;
  /** A signature file timed out, broke off or got a 5xx: not known to be absent. */
  readonly signatureUnreachable?: boolean;
}

export type FetchOutcome =
  | { readonly kind: 'files'; readonly files: ManifestFiles }
  | { readonly kind: 'missing'; readonly reason: string }
  | { readonly kind: 'unreadable'; readonly error: string; readonly detail: string }
  | { readonly kind: 'unavailable' };

/** Whose files these are, when their answers are to be noted. */
export interface ObservedRelease {
  readonly release: string;
  readonly pinned: boolean;
  /** The signature forms the pin was verified with (absent on pins older than this rule). */
  readonly pinnedForms?: readonly SignatureForm[];
}

function note(
  ctx: SweepContext,
  observed: ObservedRelease | undefined,
  url: string,
  answer: ManifestAnswer | undefined,
): void {
  if (observed === undefined || answer === undefined) return;
  ctx.manifestObservations.push({
    url,
    release: observed.release,
    pinned: observed.pinned,
    answer,
  });
}

/** A signature file's bytes; none when not served, or (`unreachable`) when the site failed. */
async function fetchSignature(
  ctx: SweepContext,
  url: string,
  form: SignatureForm,
  release: string,
  observed: ObservedRelease | undefined,
): Promise<{ readonly bytes?: Uint8Array; readonly unreachable: boolean }> {
  const result = await ctx.client.getBytes(url, { maxBytes: SIGNATURE_MAX_BYTES });
  // Signature files matter once pinned: before, a missing form is the signature's verdict.
  const noted = observed?.pinned ? observed : undefined;
  if (result.ok) {
    observeResponse(ctx, result.value, release);
    note(ctx, noted, url, { kind: 'file' });
    return { bytes: result.value.bytes, unreachable: false };
  }
  observeError(ctx, result.error, release);
  const answer = classifyManifestAnswer(result.error);
  // A form that was not there when the release was pinned may stay absent.
  const expected = noted?.pinnedForms?.includes(form) ?? false;
  if (answer?.kind !== 'gone' || expected) note(ctx, noted, url, answer);
  return { unreachable: isAvailabilityFailure(result.error) };
}

/** How a failed SHASUMS256.txt request ends the manifest check. */
function outcomeOfFailure(error: HttpError): FetchOutcome {
  const unservable = unservableReason(error);
  if (unservable !== undefined) return { kind: 'missing', reason: unservable };
  if (error.kind === 'too-large' || error.kind === 'invalid-utf8') {
    return { kind: 'unreadable', error: error.kind, detail: error.detail };
  }
  return { kind: 'unavailable' };
}

/**
 * Fetches the three files. With `observed`, notes what each answered; an unreadable
 * manifest (too large, not UTF-8) is not noted: it is reported as unverifiable at once.
 */
export async function fetchManifestFiles(
  ctx: SweepContext,
  urls: ManifestUrls,
  release: string,
  observed?: ObservedRelease,
): Promise<FetchOutcome> {
  const result = await ctx.client.getText(urls.shasums, {
    maxBytes: ctx.config.MAX_MANIFEST_BYTES,
  });
  if (!result.ok) {
    observeError(ctx, result.error, release);
    const outcome = outcomeOfFailure(result.error);
    if (outcome.kind !== 'unreadable') {
      note(ctx, observed, urls.shasums, classifyManifestAnswer(result.error));
    }
    return outcome;
  }
  observeResponse(ctx, result.value, release);
  note(ctx, observed, urls.shasums, { kind: 'file' });
  const detached = await fetchSignature(ctx, urls.signature, 'detached', release, observed);
  const clearsigned = await fetchSignature(ctx, urls.clearsigned, 'clearsigned', release, observed);
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
