/**
 * No silence on manifests: any answer other than the file, for a signed file the monitor
 * needs (SHASUMS256.txt of a listed release, its `.sig`/`.asc` once pinned), is a finding
 * that escalates the longer it lasts. A site that recognises the monitor can answer it 403,
 * 304, 451, 404 or a timeout while users get tampered files; skipping such a release "until
 * it answers" would be exactly the silence the attacker wants.
 *
 * Contract: pure. `classifyManifestAnswer` sorts a failed request into `gone` (404, 410,
 * redirects no client can follow: `manifest-missing`), `refused` (any other answer that is
 * not the file: 401/403/451, a 304 to an unconditional request, a body that is not a
 * manifest: `manifest-unavailable`) and `failed` (no answer: 5xx, timeout, reset, cut
 * short: `manifest-unavailable`). `silenceFinding` turns one such answer, with when the
 * silence began, into a finding whose severity climbs SILENCE_LADDER:
 *   - P2 at once, P1 after 30 min, P0 after 2 h for a pinned release (a known release whose
 *     files users download and the monitor cannot check: after two hours the likeliest
 *     explanation is someone hiding something, and P0 is what gets a person to look now);
 *   - capped at P1 for a release not pinned yet (nothing signed to protect; still a
 *     release users cannot verify);
 *   - `failed` answers are forgiven for SILENCE_GRACE_MS (a blip of one file is routine), and
 *     count only while the rest of the site answers (`siteAnswering`): a site that is down
 *     is `origin-unavailable`, not a hundred manifest findings.
 */
import type { HttpErrorKind } from './http-outcome';
import type { FindingInput, FindingKind, Severity } from './findings';

const MINUTE_MS = 60 * 1000;

/** Failures of one file shorter than this are not reported (the site answered the rest). */
export const SILENCE_GRACE_MS = 15 * MINUTE_MS;

/** From how long a silence lasts to its severity; the last step reached applies. */
export const SILENCE_LADDER: readonly { readonly afterMs: number; readonly severity: Severity }[] =
  [
    { afterMs: 0, severity: 'P2' },
    { afterMs: 30 * MINUTE_MS, severity: 'P1' },
    { afterMs: 120 * MINUTE_MS, severity: 'P0' },
  ];

/** The highest severity a silence about a release that is not pinned reaches. */
export const UNPINNED_SILENCE_CAP: Severity = 'P1';

/** What the site answered when asked for a signed file. */
export type ManifestAnswer =
  | { readonly kind: 'file' }
  | { readonly kind: 'gone' | 'refused' | 'failed'; readonly detail: string };

/** The parts of a failed request that decide how it is classified. */
export interface FailedRequest {
  readonly kind: HttpErrorKind;
  readonly status?: number;
  readonly redirects?: readonly unknown[];
}

/**
 * How a failed request for a signed file counts; undefined for failures of the monitor's
 * own making (its subrequest budget), which say nothing about the site.
 */
export function classifyManifestAnswer(error: FailedRequest): ManifestAnswer | undefined {
  switch (error.kind) {
    case 'budget-exhausted':
      return undefined;
    case 'timeout':
    case 'network':
    case 'truncated':
      return { kind: 'failed', detail: error.kind };
    case 'redirect-loop':
    case 'too-many-redirects':
      return {
        kind: 'gone',
        detail: `${error.kind} after ${error.redirects?.length ?? 0} redirects`,
      };
    case 'foreign-redirect':
    case 'too-large':
    case 'invalid-utf8':
      return { kind: 'refused', detail: error.kind };
    case 'status': {
      const status = error.status ?? 0;
      if (status === 404 || status === 410) return { kind: 'gone', detail: `HTTP ${status}` };
      if (status >= 500) return { kind: 'failed', detail: `HTTP ${status}` };
      return { kind: 'refused', detail: `HTTP ${status}` };
    }
  }
}

/** One signed file asked for in one sweep, and what came back. */
export interface ManifestObservation {
  readonly url: string;
  readonly release: string;
  /** The release has a pin: its files are known and must keep being served. */
  readonly pinned: boolean;
  readonly answer: ManifestAnswer;
}

/**
 * The observations a sweep records: every answer, except failures while the site as a
 * whole is not answering (those neither start nor extend a silence).
 */
export function observationsToRecord(
  observations: readonly ManifestObservation[],
  siteAnswering: boolean,
): ManifestObservation[] {
  const byUrl = new Map<string, ManifestObservation>();
  for (const observation of observations) {
    if (!siteAnswering && observation.answer.kind === 'failed') continue;
    byUrl.set(observation.url, observation);
  }
  return [...byUrl.values()];
}

/** The severity a silence that began at `since` has reached at `now`, or none yet. */
export function silenceSeverity(
  answer: Exclude<ManifestAnswer['kind'], 'file'>,
  elapsedMs: number,
  pinned: boolean,
): Severity | undefined {
  if (answer === 'failed' && elapsedMs < SILENCE_GRACE_MS) return undefined;
  let severity: Severity | undefined;
  for (const step of SILENCE_LADDER) if (elapsedMs >= step.afterMs) severity = step.severity;
  if (severity === undefined) return undefined;
  if (!pinned && severity === 'P0') return UNPINNED_SILENCE_CAP;
  return severity;
}

/** The finding for a silence that began at `since`, or undefined while it is forgiven. */
export function silenceFinding(
  observation: ManifestObservation,
  since: Date,
  now: Date,
): FindingInput | undefined {
  const { answer, release, url, pinned } = observation;
  if (answer.kind === 'file') return undefined;
  const elapsedMs = Math.max(0, now.getTime() - since.getTime());
  const severity = silenceSeverity(answer.kind, elapsedMs, pinned);
  if (severity === undefined) return undefined;
  const kind: FindingKind = answer.kind === 'gone' ? 'manifest-missing' : 'manifest-unavailable';
  const file = url.slice(url.lastIndexOf('/') + 1);
  const lasting = elapsedMs < MINUTE_MS ? '' : ` for ${formatDuration(elapsedMs)}`;
  const whose = pinned ? `of pinned release ${release}` : `of ${release}, which index.json lists`;
  const next = nextStep(elapsedMs, pinned);
  return {
    kind,
    severity,
    subject: url,
    release,
    summary: `${file} ${whose} is not served to the monitor${lasting} (${answer.detail}); what users are served cannot be checked against it.`,
    expected: 'HTTP 200 with the file',
    observed: answer.detail,
    evidence: {
      answer: answer.kind,
      detail: answer.detail,
      pinned,
      since: since.toISOString(),
      silentForMs: elapsedMs,
      ...(next && {
        escalatesTo: next.severity,
        escalatesAt: new Date(since.getTime() + next.afterMs).toISOString(),
      }),
    },
  };
}

function nextStep(elapsedMs: number, pinned: boolean): (typeof SILENCE_LADDER)[number] | undefined {
  return SILENCE_LADDER.find(
    (step) => step.afterMs > elapsedMs && (pinned || step.severity !== 'P0'),
  );
}

function formatDuration(ms: number): string {
  const minutes = Math.floor(ms / MINUTE_MS);
  if (minutes < 120) return `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  return hours < 48 ? `${hours} h` : `${Math.floor(hours / 24)} days`;
}
