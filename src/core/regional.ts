/**
 * Cross-region truth: what the probes in every region were served, compared.
 *
 * Contract: pure. For each URL, each region's cached response is compared with a reference:
 * the signed hash and pinned size / ETag when known, else that region's own cache-bypassing
 * response, else the value most regions saw. A region whose cached response differs while
 * its origin response does not (or was not fetched) was served a bad cache: one
 * `cache-poisoned` finding per URL names those regions, with every region's observation as
 * evidence. When every region (two or more) saw the very same deviation and none could
 * compare with its origin, the site itself changed; the sweep's own checks own that.
 * A region whose requests failed for `outageThreshold` consecutive sweeps is failing; some
 * failing is a partial `origin-unavailable` (P1), every probed region down is the complete
 * outage (P0). A probe that could not run says nothing about the site. Fingerprints stay
 * `kind + subject`: regions live in `regions` and in evidence, never in the identity.
 */
import { isNginxEtag } from './artifact-metadata';
import { createFinding, mostSevere, type Finding } from './findings';
import type { ProbePlacement } from './region-colos';
import type {
  ExpectedResponse,
  ProbeCheckResult,
  ProbeObservation,
  RegionProbeResult,
} from './region-probe-plan';

/** A response field that can differ between regions. */
export type ResponseField = 'status' | 'bytes' | 'length' | 'ETag';

/**
 * One region's response to one URL: `cache-differs` is the cache serving something other
 * than the reference; `origin-differs` is the origin itself serving it (not a cache matter).
 */
export type ResponseVerdict = 'ok' | 'cache-differs' | 'origin-differs' | 'unavailable';

interface Shape {
  readonly status?: number;
  readonly sha256?: string;
  readonly length?: number;
  readonly etag?: string;
}

function shapeOf(observation: ProbeObservation): Shape {
  return {
    ...(observation.status !== undefined && { status: observation.status }),
    ...(observation.sha256 !== undefined && { sha256: observation.sha256 }),
    ...(observation.length !== undefined && { length: observation.length }),
    ...(observation.etag !== undefined && { etag: observation.etag }),
  };
}

const FIELDS: readonly [ResponseField, keyof Shape][] = [
  ['status', 'status'],
  ['bytes', 'sha256'],
  ['length', 'length'],
  ['ETag', 'etag'],
];

/** Fields both shapes have and that differ. */
export function differencesOf(a: Shape, b: Shape): ResponseField[] {
  return FIELDS.filter(
    ([, key]) => a[key] !== undefined && b[key] !== undefined && a[key] !== b[key],
  ).map(([field]) => field);
}

/**
 * Bytes decide: an ETag the release worker's routine explains — one a hash proved for these
 * bytes (the pin's audit records), or its origin fallback's nginx form for this size — is
 * no difference on its own. Mixed edge states during and after an R2 outage serve both.
 */
function withoutRoutineEtag(
  differences: readonly ResponseField[],
  cached: ProbeObservation,
  expected: ExpectedResponse,
): ResponseField[] {
  const etag = cached.etag;
  if (!differences.includes('ETag') || etag === undefined) return [...differences];
  const routine =
    (expected.routineEtags ?? []).includes(etag) ||
    isNginxEtag(etag, expected.size ?? cached.length);
  return routine ? differences.filter((field) => field !== 'ETag') : [...differences];
}

function sameShape(a: Shape, b: Shape): boolean {
  return FIELDS.every(([, key]) => a[key] === b[key]);
}

/** The value most shapes have (ties: the first seen), per field. */
function pluralityOf(shapes: readonly Shape[]): Shape {
  const pick = <K extends keyof Shape>(key: K): Shape[K] => {
    const counts = new Map<Shape[K], number>();
    for (const shape of shapes) {
      if (shape[key] !== undefined) counts.set(shape[key], (counts.get(shape[key]) ?? 0) + 1);
    }
    let best: Shape[K] = undefined;
    let bestCount = 0;
    for (const [value, count] of counts) {
      if (count > bestCount) [best, bestCount] = [value, count];
    }
    return best;
  };
  const status = pick('status');
  const sha256 = pick('sha256');
  const length = pick('length');
  const etag = pick('etag');
  return {
    ...(status !== undefined && { status }),
    ...(sha256 !== undefined && { sha256 }),
    ...(length !== undefined && { length }),
    ...(etag !== undefined && { etag }),
  };
}

/** Signed hash and pins first; then the region's own origin; then what most regions saw. */
function referenceFor(
  expected: ExpectedResponse,
  origin: Shape | undefined,
  plurality: Shape,
): Shape & { readonly source: 'signed' | 'origin' | 'regions' } {
  const pinned =
    expected.sha256 !== undefined || expected.size !== undefined || expected.etag !== undefined;
  const status = origin?.status ?? (pinned ? 200 : plurality.status);
  const sha256 = expected.sha256 ?? origin?.sha256 ?? plurality.sha256;
  const length = expected.size ?? origin?.length ?? plurality.length;
  const etag = expected.etag ?? origin?.etag ?? plurality.etag;
  return {
    source: pinned ? 'signed' : origin !== undefined ? 'origin' : 'regions',
    ...(status !== undefined && { status }),
    ...(sha256 !== undefined && { sha256 }),
    ...(length !== undefined && { length }),
    ...(etag !== undefined && { etag }),
  };
}

/** One region's part of a comparison, as evidence keeps it. */
export interface RegionObservationEvidence {
  readonly colo: string;
  readonly verdict: ResponseVerdict;
  readonly differences: readonly ResponseField[];
  readonly cached: ProbeObservation;
  readonly origin?: ProbeObservation;
}

interface UrlObservations {
  readonly check: ProbeCheckResult;
  readonly byRegion: Map<string, { readonly colo: string; readonly check: ProbeCheckResult }>;
}

function observationsByUrl(results: readonly RegionProbeResult[]): Map<string, UrlObservations> {
  const byUrl = new Map<string, UrlObservations>();
  for (const result of results) {
    if (result.status !== 'completed') continue;
    for (const check of result.checks) {
      let entry = byUrl.get(check.url);
      if (!entry) {
        entry = { check, byRegion: new Map() };
        byUrl.set(check.url, entry);
      }
      entry.byRegion.set(result.region, { colo: result.colo, check });
    }
  }
  return byUrl;
}

export interface RegionalComparison {
  /** One `cache-poisoned` finding per URL some regions were served wrongly. */
  readonly findings: readonly Finding[];
  /** Region → URLs it was served wrongly (empty when none). */
  readonly poisoned: ReadonlyMap<string, readonly string[]>;
}

/** Compares what each region was served for each URL. */
export function compareRegionalResponses(
  results: readonly RegionProbeResult[],
  now: Date,
): RegionalComparison {
  const poisoned = new Map<string, string[]>(results.map((result) => [result.region, []]));
  const findings: Finding[] = [];
  for (const [url, { check, byRegion }] of observationsByUrl(results)) {
    const answered = [...byRegion].filter(([, seen]) => !seen.check.cached.unavailable);
    const plurality = pluralityOf(answered.map(([, seen]) => shapeOf(seen.check.cached)));
    const evidence: Record<string, RegionObservationEvidence> = {};
    const suspects: { readonly region: string; readonly shape: Shape }[] = [];
    let anyOrigin = false;
    let reference = referenceFor(check.expected, undefined, plurality);
    for (const [region, seen] of byRegion) {
      const { cached, origin } = seen.check;
      if (cached.unavailable) {
        evidence[region] = { colo: seen.colo, verdict: 'unavailable', differences: [], cached };
        continue;
      }
      const originShape = origin && !origin.unavailable ? shapeOf(origin) : undefined;
      if (originShape) anyOrigin = true;
      const regionReference = referenceFor(seen.check.expected, originShape, plurality);
      if (originShape && reference.source !== 'signed') reference = regionReference;
      const differences = withoutRoutineEtag(
        differencesOf(shapeOf(cached), regionReference),
        cached,
        seen.check.expected,
      );
      const verdict: ResponseVerdict =
        differences.length === 0
          ? 'ok'
          : originShape && differencesOf(shapeOf(cached), originShape).length === 0
            ? 'origin-differs'
            : 'cache-differs';
      if (verdict === 'cache-differs') suspects.push({ region, shape: shapeOf(cached) });
      evidence[region] = {
        colo: seen.colo,
        verdict,
        differences,
        cached,
        ...(origin !== undefined && { origin }),
      };
    }
    const [first] = suspects;
    if (first === undefined) continue;
    const uniform =
      !anyOrigin &&
      suspects.length >= 2 &&
      suspects.length === answered.length &&
      suspects.every((suspect) => sameShape(suspect.shape, first.shape));
    if (uniform) continue;
    const regions = suspects.map((suspect) => suspect.region);
    for (const region of regions) poisoned.get(region)?.push(url);
    findings.push(poisonedFinding(url, check, regions, evidence, reference, answered.length, now));
  }
  return { findings, poisoned };
}

function poisonedFinding(
  url: string,
  check: ProbeCheckResult,
  regions: readonly string[],
  evidence: Readonly<Record<string, RegionObservationEvidence>>,
  reference: Shape & { readonly source: 'signed' | 'origin' | 'regions' },
  answeredRegions: number,
  now: Date,
): Finding {
  const fields = [...new Set(regions.flatMap((region) => evidence[region]?.differences ?? []))];
  const against =
    reference.source === 'signed'
      ? 'the signed hash and pins'
      : reference.source === 'origin'
        ? 'the origin'
        : 'the other regions';
  const observed = [
    ...new Set(regions.map((region) => describeShape(shapeOf(evidence[region]?.cached ?? {})))),
  ];
  return createFinding(
    {
      kind: 'cache-poisoned',
      subject: url,
      ...(check.release !== undefined && { release: check.release }),
      regions,
      summary: `${url} is served with different ${fields.join(', ')} in ${regions.length} of ${answeredRegions} regions (${regions.join(', ')}) than ${against}.`,
      expected: describeShape(reference),
      observed: observed.join(' | '),
      evidence: {
        regional: true,
        reference,
        regions: evidence,
        variants: variantsOf(evidence),
      },
    },
    now,
  );
}

function describeShape(shape: Shape): string {
  if (shape.sha256 !== undefined) return shape.sha256;
  const parts = [
    shape.status !== undefined ? `HTTP ${shape.status}` : undefined,
    shape.length !== undefined ? `length ${shape.length}` : undefined,
    shape.etag !== undefined ? `ETag ${shape.etag}` : undefined,
  ].filter((part) => part !== undefined);
  return parts.length === 0 ? 'nothing comparable' : parts.join(', ');
}

/** Regions grouped by the response they were served: how they differ from each other. */
function variantsOf(
  evidence: Readonly<Record<string, RegionObservationEvidence>>,
): { regions: string[]; response: Shape }[] {
  const variants: { regions: string[]; response: Shape }[] = [];
  for (const [region, seen] of Object.entries(evidence)) {
    if (seen.verdict === 'unavailable') continue;
    const shape = shapeOf(seen.cached);
    const variant = variants.find((candidate) => sameShape(candidate.response, shape));
    if (variant) variant.regions.push(region);
    else variants.push({ regions: [region], response: shape });
  }
  return variants;
}

// ---------------------------------------------------------------------------------------
// Availability

export type RegionAvailability = 'ok' | 'partial' | 'down' | 'not-probed';

export function regionAvailabilityOf(
  result: Pick<RegionProbeResult, 'status' | 'answered' | 'failed'>,
): RegionAvailability {
  if (result.status !== 'completed') return 'not-probed';
  if (result.failed === 0) return 'ok';
  return result.answered === 0 ? 'down' : 'partial';
}

export interface RegionalAvailabilityInput {
  readonly baseUrl: string;
  readonly results: readonly RegionProbeResult[];
  /** Consecutive sweeps each region failed, this one included. */
  readonly consecutiveFailures: Readonly<Record<string, number>>;
  readonly outageThreshold: number;
}

/** At most one `origin-unavailable`: P0 when every probed region is down, else P1. */
export function classifyRegionalAvailability(
  input: RegionalAvailabilityInput,
  now: Date,
): Finding[] {
  const probed = input.results.filter((result) => result.status === 'completed');
  const failing = probed.filter(
    (result) =>
      regionAvailabilityOf(result) !== 'ok' &&
      (input.consecutiveFailures[result.region] ?? 0) >= input.outageThreshold,
  );
  if (failing.length === 0) return [];
  const full =
    failing.length === probed.length &&
    failing.every((result) => regionAvailabilityOf(result) === 'down');
  const regions = failing.map((result) => result.region);
  const streak = Math.min(
    ...failing.map((result) => input.consecutiveFailures[result.region] ?? 0),
  );
  const evidence = Object.fromEntries(
    probed.map((result) => [
      result.region,
      {
        availability: regionAvailabilityOf(result),
        colo: result.colo,
        answered: result.answered,
        failed: result.failed,
        consecutiveFailures: input.consecutiveFailures[result.region] ?? 0,
        failures: result.failures.slice(0, 5),
      },
    ]),
  );
  return [
    createFinding(
      {
        kind: 'origin-unavailable',
        severity: full ? 'P0' : 'P1',
        subject: input.baseUrl,
        regions,
        summary: full
          ? `Nothing under ${input.baseUrl} answered in any of the ${probed.length} probed regions for ${streak} consecutive sweeps.`
          : `${input.baseUrl} failed in ${failing.length} of ${probed.length} probed regions (${regions.join(', ')}) for ${streak} consecutive sweeps.`,
        expected: `every request answered in all ${probed.length} regions`,
        observed: `failing in ${regions.join(', ')}`,
        evidence: { regional: true, outcome: full ? 'down' : 'partial', regions: evidence },
      },
      now,
    ),
  ];
}

// ---------------------------------------------------------------------------------------
// Header findings, merging, and what the status page shows per region

/** The probes' header findings, one per fingerprint, naming the regions that saw it. */
export function collectRegionalHeaderFindings(results: readonly RegionProbeResult[]): Finding[] {
  const byFingerprint = new Map<string, { finding: Finding; regions: string[] }>();
  for (const result of results) {
    for (const finding of result.headerFindings) {
      const seen = byFingerprint.get(finding.fingerprint);
      if (seen) {
        if (!seen.regions.includes(result.region)) seen.regions.push(result.region);
      } else {
        byFingerprint.set(finding.fingerprint, { finding, regions: [result.region] });
      }
    }
  }
  return [...byFingerprint.values()].map(({ finding, regions }) => ({ ...finding, regions }));
}

/**
 * One finding from a sweep's own and a regional sighting of the same problem (same
 * fingerprint): the more severe one leads (the sweep's on a tie), regions are united, and
 * the other's evidence is kept beside it.
 */
export function mergeRegionalFinding(existing: Finding | undefined, regional: Finding): Finding {
  if (existing === undefined) return regional;
  const regionalLeads = mostSevere(existing.severity, regional.severity) !== existing.severity;
  const lead = regionalLeads ? regional : existing;
  const other = regionalLeads ? existing : regional;
  const regions = [...new Set([...(existing.regions ?? []), ...(regional.regions ?? [])])];
  return {
    ...lead,
    ...(regions.length > 0 && { regions }),
    evidence: { ...lead.evidence, [regionalLeads ? 'sweep' : 'regional']: other.evidence },
  };
}

/** What the status page shows for a region after a sweep. */
export type RegionResult = 'ok' | 'cache-poisoned' | 'partial' | 'down' | 'probe-failed';

/** One region's latest probe, as MonitorState stores it. */
export interface RegionStatusInput extends ProbePlacement {
  readonly region: string;
  readonly sweepId: string;
  readonly probedAt: string;
  readonly result: RegionResult;
  readonly availability: RegionAvailability;
  /** One human sentence. */
  readonly detail: string;
  readonly checks: number;
  readonly requests: number;
  readonly poisonedUrls: readonly string[];
  /** True when this probe hashed the newest release's artifacts (the rotation). */
  readonly fullHash: boolean;
}

export function summariseRegion(
  result: RegionProbeResult,
  poisonedUrls: readonly string[],
): RegionStatusInput {
  const availability = regionAvailabilityOf(result);
  const verdict: RegionResult =
    result.status !== 'completed'
      ? 'probe-failed'
      : availability === 'down'
        ? 'down'
        : poisonedUrls.length > 0
          ? 'cache-poisoned'
          : availability === 'partial'
            ? 'partial'
            : 'ok';
  const where =
    result.matchesHint === false ? ` (ran in ${result.colo}, outside ${result.hint})` : '';
  const details: Record<RegionResult, string> = {
    'probe-failed': `The probe could not run: ${result.error ?? 'unknown error'}.`,
    down: `No request was answered (${result.failed} failed).`,
    'cache-poisoned': `${poisonedUrls.length} URL(s) served differently than expected.`,
    partial: `${result.failed} of ${result.failed + result.answered} requests failed.`,
    ok: `${result.checks.length} checks as expected.`,
  };
  return {
    region: result.region,
    colo: result.colo,
    hint: result.hint,
    coloRegion: result.coloRegion,
    matchesHint: result.matchesHint,
    sweepId: result.sweepId,
    probedAt: result.probedAt,
    result: verdict,
    availability,
    detail: details[verdict] + where,
    checks: result.checks.length,
    requests: result.requests,
    poisonedUrls,
    fullHash: result.fullHash && result.status === 'completed',
  };
}
