/**
 * Containment playbooks: for each finding kind, the ordered steps the incident runs on
 * its own when it opens (and again when it reopens).
 *
 * Contract: playbooks are data. Step names are part of the public vocabulary (runbooks and
 * the response plan cite them). Every step is idempotent. In `dry-run` (the default, and
 * whenever CONTAINMENT_MODE is anything but exactly `enforce`) the steps that act on the
 * world (`purge-cache`, `reverify`, `quarantine`) only record what they would do;
 * `capture-evidence` and `post-status` touch only the monitor's own storage and run in
 * both modes. Evidence a sweep wants kept goes in `finding.evidence` under the names of
 * `EVIDENCE_FIELDS`.
 */
import type { Finding, FindingKind } from './findings';

export type PlaybookStep =
  'capture-evidence' | 'purge-cache' | 'reverify' | 'quarantine' | 'post-status';

export const PLAYBOOK_STEPS: readonly PlaybookStep[] = [
  'capture-evidence',
  'purge-cache',
  'reverify',
  'quarantine',
  'post-status',
];

const RECORD_ONLY: readonly PlaybookStep[] = ['capture-evidence', 'post-status'];
const PURGE_AND_CHECK: readonly PlaybookStep[] = [
  'capture-evidence',
  'purge-cache',
  'reverify',
  'post-status',
];
const TAMPERED: readonly PlaybookStep[] = [
  'capture-evidence',
  'quarantine',
  'purge-cache',
  'reverify',
  'post-status',
];

/**
 * Tampered bytes are quarantined before the purge, so the cache cannot refill with them;
 * a bad cache is purged and checked; everything else is recorded and published, and the
 * runbook's human steps take over.
 */
export const PLAYBOOKS: Record<FindingKind, readonly PlaybookStep[]> = {
  'index-invalid': RECORD_ONLY,
  'index-rollback': RECORD_ONLY,
  'manifest-missing': RECORD_ONLY,
  // No reverify: there is no trusted manifest to compare with until a person finds one.
  'manifest-signature-invalid': ['capture-evidence', 'quarantine', 'purge-cache', 'post-status'],
  'manifest-changed': TAMPERED,
  'artifact-hash-mismatch': TAMPERED,
  'artifact-metadata-changed': RECORD_ONLY,
  'artifact-missing': RECORD_ONLY,
  'artifact-unverifiable': RECORD_ONLY,
  'cache-poisoned': PURGE_AND_CHECK,
  'cache-policy-violation': RECORD_ONLY,
  'header-disclosure': RECORD_ONLY,
  // A cached redirect is purged; whether the redirect is gone is the next sweep's call.
  'foreign-redirect': ['capture-evidence', 'purge-cache', 'post-status'],
  'origin-unavailable': RECORD_ONLY,
  'latency-degraded': RECORD_ONLY,
  'release-keys-unavailable': RECORD_ONLY,
  // Evidence and status only: what was rewritten, and by whom, is for people to find.
  'transparency-log-inconsistent': RECORD_ONLY,
  'manifest-unavailable': RECORD_ONLY,
  'index-entry-rewritten': RECORD_ONLY,
  // Routine: the bytes were proven; the notice only tells people what happened.
  'artifact-rebaselined': RECORD_ONLY,
  // A missing purge: purging is the fix (dry-run records it); convergence closes it.
  'cache-stale': ['capture-evidence', 'purge-cache', 'post-status'],
};

export function playbookFor(kind: FindingKind): readonly PlaybookStep[] {
  return PLAYBOOKS[kind];
}

export type ContainmentMode = 'dry-run' | 'enforce';

/** Only the exact string `enforce` enforces: a typo must not purge a zone. */
export function parseContainmentMode(value: unknown): ContainmentMode {
  return value === 'enforce' ? 'enforce' : 'dry-run';
}

/** Steps that act outside the monitor and therefore only record in dry-run. */
export function isEnforcedOnly(step: PlaybookStep): boolean {
  return step === 'purge-cache' || step === 'reverify' || step === 'quarantine';
}

/**
 * Names in `finding.evidence` that capture-evidence stores as separate R2 objects:
 * the first MiB of the body (base64), the manifest as served (text), its signature
 * (armored text, or base64 for a binary `.sig`), and extra URLs the containment covers.
 */
export const EVIDENCE_FIELDS = {
  body: 'bodyBase64',
  manifest: 'manifest',
  signature: 'signature',
  signatureBinary: 'signatureBase64',
  urls: 'urls',
} as const;

/** capture-evidence keeps at most this much of a body. */
export const EVIDENCE_BODY_LIMIT = 1024 * 1024;

/** Cloudflare's purge-by-URL limit per request. */
export const PURGE_BATCH_SIZE = 100;

export function planPurgeBatches(urls: readonly string[], size = PURGE_BATCH_SIZE): string[][] {
  const batches: string[][] = [];
  for (let start = 0; start < urls.length; start += size)
    batches.push(urls.slice(start, start + size));
  return batches;
}

/**
 * The URLs containment acts on: the finding's subject and any `evidence.urls`, http(s)
 * only, each once, in order.
 */
export function containmentUrlsOf(finding: Pick<Finding, 'subject' | 'evidence'>): string[] {
  const extra = finding.evidence[EVIDENCE_FIELDS.urls];
  const candidates = [finding.subject, ...(Array.isArray(extra) ? extra : [])];
  const urls: string[] = [];
  for (const candidate of candidates) {
    if (typeof candidate !== 'string' || !URL.canParse(candidate)) continue;
    const url = new URL(candidate);
    if (url.protocol !== 'https:' && url.protocol !== 'http:') continue;
    if (!urls.includes(url.href)) urls.push(url.href);
  }
  return urls;
}

/** The KV key the release worker consults for a path: `quarantine:<pathname>`. */
export function quarantineKeyOf(url: string): string {
  return `quarantine:${new URL(url).pathname}`;
}

export function isSha256Hex(value: unknown): value is string {
  return typeof value === 'string' && /^[0-9a-f]{64}$/i.test(value);
}

/** What re-verification compares a URL's bytes with: the signed (or pinned) SHA-256. */
export interface ExpectedContent {
  /** Lowercase hex. */
  readonly sha256: string;
  /** The signed file's size, when known: one byte more and the download stops. */
  readonly bytes?: number;
}

const DESCRIBED_HASH = /^(?:sha256 )?([0-9a-f]{64})(?:, (\d+) bytes)?$/i;

/**
 * The content a finding's URL must serve again: the signed hash of a tampered artifact
 * (`evidence.expectedSha256`, or `expected` as `sha256 <hex>, N bytes`), the pinned SHA-256
 * of a changed manifest (`evidence.pinnedSha256`, or a bare hex `expected`), the origin's
 * hash of a poisoned cache entry. `undefined` when the finding names no hash.
 */
export function expectedContentOf(
  finding: Pick<Finding, 'expected' | 'evidence'>,
): ExpectedContent | undefined {
  const evidence = finding.evidence;
  const size = (value: unknown) =>
    typeof value === 'number' && Number.isSafeInteger(value) && value >= 0 ? value : undefined;
  for (const field of ['expectedSha256', 'pinnedSha256']) {
    const sha256 = evidence[field];
    if (!isSha256Hex(sha256)) continue;
    const bytes = size(evidence['expectedBytes']);
    return { sha256: sha256.toLowerCase(), ...(bytes !== undefined && { bytes }) };
  }
  const described = DESCRIBED_HASH.exec(finding.expected?.trim() ?? '');
  if (described?.[1] === undefined) return undefined;
  const bytes = described[2] === undefined ? undefined : size(Number(described[2]));
  return { sha256: described[1].toLowerCase(), ...(bytes !== undefined && { bytes }) };
}

/**
 * Kinds whose containment is done only when the bytes hash right again: a URL that answers
 * without a hash to compare is not re-verified for them.
 */
export function reverifyNeedsHash(kind: FindingKind): boolean {
  return kind === 'artifact-hash-mismatch' || kind === 'manifest-changed';
}

/** One URL containment acts on, with the finding that describes it (its expected hash). */
export interface ContainmentTarget {
  readonly url: string;
  readonly finding: Finding;
}

/**
 * The URLs of an incident and, for each, the finding to judge it by: a group's members
 * describe their own URLs; the incident's finding covers its subject and `evidence.urls`.
 */
export function containmentTargetsOf(
  finding: Finding,
  members: readonly Finding[] = [],
): ContainmentTarget[] {
  const targets = new Map<string, ContainmentTarget>();
  for (const member of members) {
    for (const url of containmentUrlsOf(member)) {
      if (!targets.has(url)) targets.set(url, { url, finding: member });
    }
  }
  for (const url of containmentUrlsOf(finding)) {
    if (!targets.has(url)) targets.set(url, { url, finding });
  }
  return [...targets.values()];
}

/** Base64 characters that encode exactly EVIDENCE_BODY_LIMIT bytes (a multiple of 4). */
const BODY_BASE64_LIMIT = Math.ceil(EVIDENCE_BODY_LIMIT / 3) * 4;

/** The finding with its body evidence cut to the first MiB, as stored and captured. */
export function limitEvidence<F extends Pick<Finding, 'evidence'>>(finding: F): F {
  const body = finding.evidence[EVIDENCE_FIELDS.body];
  if (typeof body !== 'string' || body.length <= BODY_BASE64_LIMIT) return finding;
  return {
    ...finding,
    evidence: { ...finding.evidence, [EVIDENCE_FIELDS.body]: body.slice(0, BODY_BASE64_LIMIT) },
  };
}
