/**
 * Findings: what a sweep observed that is not as it should be.
 *
 * Contract: a finding kind is part of the public vocabulary (DESIGN.md): operators,
 * runbooks, alerts and outside tests rely on the names, so kinds are added, never renamed.
 * Every kind has a default severity (the incident response plan's P0–P3), an area of the
 * status page, a runbook, and says whether it is a security-sensitive integrity kind (kept
 * out of public view until disclosed). A finding's fingerprint is `kind + subject`, so the
 * same problem seen in ten sweeps is one incident.
 */
import { cleanUntrustedText } from './untrusted-text';

/** Severity per the incident response plan: response within 15 min, 30 min, 2 h, 24 h. */
export type Severity = 'P0' | 'P1' | 'P2' | 'P3';

export const SEVERITIES: readonly Severity[] = ['P0', 'P1', 'P2', 'P3'];

/** Minutes within which an incident of each severity must be acknowledged. */
export const RESPONSE_MINUTES: Record<Severity, number> = { P0: 15, P1: 30, P2: 120, P3: 1440 };

/** The area of the status page a finding belongs to. */
export type Area = 'index' | 'manifests' | 'artifacts' | 'availability' | 'cache';

export const AREAS: readonly Area[] = ['index', 'manifests', 'artifacts', 'availability', 'cache'];

/** The runbooks under docs/runbooks/ (file name without `.md`). */
export type Runbook =
  | 'supply-chain-compromise'
  | 'cache-poisoning'
  | 'availability'
  | 'data-integrity'
  | 'information-disclosure'
  | 'monitor-down';

interface KindSpec {
  /** Default severity; some kinds choose per finding (e.g. full vs partial outage). */
  readonly severity: Severity;
  readonly area: Area;
  readonly runbook: Runbook;
  /** Integrity kinds whose details stay private until an operator discloses them. */
  readonly security: boolean;
  /** One line, as the runbook's title would say it. */
  readonly title: string;
}

/**
 * The finding vocabulary. `satisfies` keeps the keys a string-literal union while making
 * every entry complete.
 */
export const FINDING_KINDS = {
  'index-invalid': {
    severity: 'P1',
    area: 'index',
    runbook: 'data-integrity',
    security: false,
    title: 'index.json does not parse or violates its schema',
  },
  'index-rollback': {
    severity: 'P1',
    area: 'index',
    runbook: 'data-integrity',
    security: true,
    title: 'index.json went back in version or dropped a watched or pinned release',
  },
  'manifest-missing': {
    severity: 'P2',
    area: 'manifests',
    runbook: 'data-integrity',
    security: false,
    title: 'A listed release has no SHASUMS256.txt',
  },
  'manifest-signature-invalid': {
    severity: 'P0',
    area: 'manifests',
    runbook: 'supply-chain-compromise',
    security: true,
    title: 'SHASUMS256.txt is not validly signed by a trusted release key',
  },
  'manifest-changed': {
    severity: 'P0',
    area: 'manifests',
    runbook: 'supply-chain-compromise',
    security: true,
    title: 'SHASUMS256.txt differs from its pin',
  },
  'artifact-hash-mismatch': {
    severity: 'P0',
    area: 'artifacts',
    runbook: 'supply-chain-compromise',
    security: true,
    title: 'An artifact’s bytes differ from the signed hash',
  },
  'artifact-metadata-changed': {
    severity: 'P1',
    area: 'artifacts',
    runbook: 'data-integrity',
    security: true,
    title: 'An artifact’s size, ETag or Last-Modified differs from its pin',
  },
  'artifact-missing': {
    severity: 'P2',
    area: 'artifacts',
    runbook: 'data-integrity',
    security: false,
    title: 'An artifact listed in a signed manifest is not served',
  },
  'artifact-unverifiable': {
    severity: 'P2',
    area: 'artifacts',
    runbook: 'monitor-down',
    security: false,
    title: 'An artifact could not be hashed after every retry',
  },
  'cache-poisoned': {
    severity: 'P1',
    area: 'cache',
    runbook: 'cache-poisoning',
    security: true,
    title: 'The cached response differs from the origin',
  },
  'cache-policy-violation': {
    severity: 'P2',
    area: 'cache',
    runbook: 'information-disclosure',
    security: false,
    title: 'Cache-Control differs from the release worker’s policy',
  },
  'header-disclosure': {
    severity: 'P2',
    area: 'cache',
    runbook: 'information-disclosure',
    security: false,
    title: 'A response sets a cookie or leaks internal headers',
  },
  'foreign-redirect': {
    severity: 'P1',
    area: 'availability',
    runbook: 'supply-chain-compromise',
    security: true,
    title: 'A download redirects to a host that is not allowed',
  },
  'origin-unavailable': {
    severity: 'P0',
    area: 'availability',
    runbook: 'availability',
    security: false,
    title: 'The dist site does not answer',
  },
  'latency-degraded': {
    severity: 'P2',
    area: 'availability',
    runbook: 'availability',
    security: false,
    title: 'The dist site answers slowly',
  },
  'release-keys-unavailable': {
    severity: 'P2',
    area: 'manifests',
    runbook: 'monitor-down',
    security: false,
    title: 'Release key material could not be loaded, so signatures were not judged',
  },
  // The monitor's own public record: its storage was rewritten, or the log signed a
  // checkpoint that does not extend the last one (docs/transparency-log.md).
  'transparency-log-inconsistent': {
    severity: 'P1',
    area: 'artifacts',
    runbook: 'monitor-down',
    security: true,
    title: 'The transparency log cannot prove it is append-only',
  },
  // Severity climbs with how long it lasts (core/manifest-silence.ts): P2, P1, then P0.
  'manifest-unavailable': {
    severity: 'P2',
    area: 'manifests',
    runbook: 'data-integrity',
    security: false,
    title: 'A signed manifest file is answered with anything but the file',
  },
  'index-entry-rewritten': {
    severity: 'P1',
    area: 'index',
    runbook: 'data-integrity',
    security: true,
    title: 'index.json rewrote a pinned release’s entry',
  },
  'artifact-rebaselined': {
    severity: 'P3',
    area: 'artifacts',
    runbook: 'data-integrity',
    security: false,
    title: 'Artifacts changed ETag or Last-Modified with their signed bytes: pins re-baselined',
  },
  'cache-stale': {
    severity: 'P3',
    area: 'cache',
    runbook: 'cache-poisoning',
    security: false,
    title: 'The cache serves an older valid copy: a purge is missing',
  },
} as const satisfies Record<string, KindSpec>;

export type FindingKind = keyof typeof FINDING_KINDS;

export const FINDING_KIND_NAMES = Object.keys(FINDING_KINDS) as FindingKind[];

export function isFindingKind(value: string): value is FindingKind {
  return Object.hasOwn(FINDING_KINDS, value);
}

export function kindSpec(kind: FindingKind): KindSpec {
  return FINDING_KINDS[kind];
}

/** An observation of one problem in one sweep. */
export interface Finding {
  readonly kind: FindingKind;
  readonly severity: Severity;
  /** What the finding is about: a URL, or the base URL for site-wide findings. */
  readonly subject: string;
  /** `kind + subject`: stable across sweeps, the incident's identity. */
  readonly fingerprint: string;
  /** One human sentence. Never contains a secret. */
  readonly summary: string;
  readonly expected?: string;
  readonly observed?: string;
  /** The release the subject belongs to, when there is one (e.g. `v24.11.1`). */
  readonly release?: string;
  /** Regions that saw it, when probes ran in several. */
  readonly regions?: readonly string[];
  /** Plain, JSON-serialisable facts for the post-mortem (headers, hashes, sizes). */
  readonly evidence: Readonly<Record<string, unknown>>;
  /** ISO-8601 time of the sweep that saw it. */
  readonly observedAt: string;
  /**
   * What makes many subjects one problem, when the check knows it better than the default
   * of src/core/incident-grouping.ts (e.g. "served from the origin fallback"). Findings of
   * one kind and cause in one sweep become one incident that lists its subjects.
   */
  readonly cause?: string;
}

export interface FindingInput {
  readonly kind: FindingKind;
  readonly subject: string;
  readonly summary: string;
  readonly severity?: Severity;
  readonly expected?: string;
  readonly observed?: string;
  readonly release?: string;
  readonly regions?: readonly string[];
  readonly evidence?: Readonly<Record<string, unknown>>;
  /** See `Finding.cause`. */
  readonly cause?: string;
}

/** The stable identity of a problem: the same kind on the same subject is one incident. */
export function fingerprintOf(kind: FindingKind, subject: string): string {
  return `${kind} ${subject}`;
}

/**
 * A finding's text comes from the watched site: it is cleaned here, once, by the one
 * sanitiser (untrusted-text.ts), so no control character, noncharacter, lone surrogate or
 * bidi override reaches an incident's name, its storage or any output. Clean text is
 * unchanged, so fingerprints of ordinary findings stay what they were.
 */
export function createFinding(input: FindingInput, now: Date): Finding {
  const subject = cleanUntrustedText(input.subject);
  return {
    kind: input.kind,
    severity: input.severity ?? FINDING_KINDS[input.kind].severity,
    subject,
    fingerprint: fingerprintOf(input.kind, subject),
    summary: cleanUntrustedText(input.summary),
    ...(input.expected !== undefined && { expected: cleanUntrustedText(input.expected) }),
    ...(input.observed !== undefined && { observed: cleanUntrustedText(input.observed) }),
    ...(input.release !== undefined && { release: cleanUntrustedText(input.release) }),
    ...(input.regions !== undefined && {
      regions: input.regions.map((region) => cleanUntrustedText(region)),
    }),
    evidence: input.evidence ?? {},
    observedAt: now.toISOString(),
    ...(input.cause !== undefined && { cause: input.cause }),
  };
}

/** Lower rank = more severe. */
export function severityRank(severity: Severity): number {
  return SEVERITIES.indexOf(severity);
}

export function mostSevere(a: Severity, b: Severity): Severity {
  return severityRank(a) <= severityRank(b) ? a : b;
}

/** Counts findings by severity, every severity present (zero when none). */
export function countBySeverity(
  findings: readonly Pick<Finding, 'severity'>[],
): Record<Severity, number> {
  const counts: Record<Severity, number> = { P0: 0, P1: 0, P2: 0, P3: 0 };
  for (const finding of findings) counts[finding.severity] += 1;
  return counts;
}
