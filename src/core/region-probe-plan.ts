/**
 * What a regional probe is asked to do and what it answers. The sweep plans the checks
 * once (every region runs the same ones), a `RegionProbe` Durable Object placed in each
 * region runs them, and `regional.ts` compares the answers.
 *
 * Contract: plain, structured-cloneable data (it crosses Durable Object RPC), planned
 * purely from the pins. Every sweep: index.json and the newest release's manifest and
 * smallest artifacts fetched twice (cached and cache-bypassing: the cache differential in
 * that region), every watched manifest hashed against its pin, every pinned artifact of the
 * watched releases HEADed against its pinned size and ETag. On the full-hash rotation (once
 * per `FULL_HASH_INTERVAL_MS` per region) the newest release's artifacts are hashed too,
 * up to a byte cap per round, starting at an artifact that moves on every round.
 */
import type { Finding } from './findings';
import type { HeaderPolicy } from './header-policy';
import { artifactUrl, indexJsonUrl, manifestUrls } from './manifest-urls';
import type { ProbePlacement } from './region-colos';

/** The header a probe sends in local runs so the fixture site can answer per region. */
export const REGION_HEADER = 'x-monitor-region';

/** How often each region hashes the newest release's artifacts in full (every 12th sweep). */
export const FULL_HASH_INTERVAL_MS = 60 * 60 * 1000;
/** Bytes one region hashes per full-hash round at most (one artifact always fits). */
export const FULL_HASH_BYTES_PER_ROUND = 256 * 1024 * 1024;
/** The newest release's smallest artifacts in the cache sample, as in the sweep's own. */
export const CACHE_SAMPLE_ARTIFACTS = 2;
/** Artifacts larger than this never enter the cache sample. */
const CACHE_SAMPLE_MAX_BYTES = 64 * 1024 * 1024;
/** Slowest throughput a full hash is given time for, on top of the request timeout. */
const MIN_HASH_BYTES_PER_SECOND = 5 * 1024 * 1024;

/** What a response should be, from the signed manifest and the pins. */
export interface ExpectedResponse {
  readonly sha256?: string;
  readonly size?: number;
  readonly etag?: string;
  /**
   * Other ETags proven by a hash to carry these very bytes (the pin's re-baselining audit
   * records): a region still served one of them is no difference on its own.
   */
  readonly routineEtags?: readonly string[];
}

export type ProbeCheckPurpose = 'index' | 'manifest' | 'metadata' | 'cache-sample' | 'full-hash';

export interface ProbeCheck {
  readonly url: string;
  /** HEAD compares metadata only; GET also hashes the body (constant memory). */
  readonly method: 'HEAD' | 'GET';
  readonly purpose: ProbeCheckPurpose;
  readonly release?: string;
  readonly expected: ExpectedResponse;
  /** Also GET this cache-bypassing URL: the cache differential, from this region. */
  readonly bypassUrl?: string;
  /** Overrides the client's timeout (a large artifact needs longer to hash). */
  readonly timeoutMs?: number;
}

export interface ProbeClientSettings {
  readonly timeoutMs: number;
  readonly retries: number;
  readonly backoffMs: number;
  /** Longest wait a Retry-After header may impose. */
  readonly retryAfterCapMs: number;
  readonly allowedRedirectHosts: readonly string[];
  /** The probe's own subrequest budget (its invocation has its own 1,000). */
  readonly maxRequests: number;
}

/** One probe's work for one sweep. */
export interface ProbePlan {
  /** The location hint the probe was created with. */
  readonly region: string;
  readonly sweepId: string;
  /** The sweep's time (ISO): header findings the probe makes carry it. */
  readonly now: string;
  /** Send `x-monitor-region: <region>` on every request: local runs, where hints are ignored. */
  readonly simulateRegion: boolean;
  readonly client: ProbeClientSettings;
  readonly headerPolicy: HeaderPolicy;
  /** True when this plan includes the full-hash rotation. */
  readonly fullHash: boolean;
  readonly checks: readonly ProbeCheck[];
  /** Epoch ms after which the probe starts no further check (the sweep's own deadline). */
  readonly deadlineAt?: number;
}

/** One response as a probe saw it, or why there was none. */
export interface ProbeObservation {
  readonly status?: number;
  /** SHA-256 of the body (GET). */
  readonly sha256?: string;
  /** Body bytes read (GET), else Content-Length (HEAD). */
  readonly length?: number;
  readonly etag?: string;
  readonly lastModified?: string;
  /** Evidence: content-length, etag, age, cf-cache-status, cf-ray, when sent. */
  readonly headers?: Readonly<Record<string, string>>;
  /** Why there is no usable response, e.g. `status: HTTP 503`, `timeout: …`. */
  readonly error?: string;
  /** The site did not answer (timeout, network, 5xx): an availability matter, not a difference. */
  readonly unavailable?: boolean;
}

export interface ProbeCheckResult {
  readonly url: string;
  readonly method: 'HEAD' | 'GET';
  readonly purpose: ProbeCheckPurpose;
  readonly release?: string;
  readonly expected: ExpectedResponse;
  /** The normal, cacheable response. */
  readonly cached: ProbeObservation;
  /** The cache-bypassing response, when the check asked for one. */
  readonly origin?: ProbeObservation;
  readonly bypassUrl?: string;
}

/** What one probe answers. `probe-failed`: the probe itself could not run (not the site). */
export interface RegionProbeResult extends ProbePlacement {
  readonly region: string;
  readonly status: 'completed' | 'probe-failed';
  readonly sweepId: string;
  /** The time of the sweep the probe ran for (ISO). */
  readonly probedAt: string;
  readonly durationMs: number;
  readonly requests: number;
  readonly bytes: number;
  /** Requests answered (status below 500) and failed after retries. */
  readonly answered: number;
  readonly failed: number;
  /** A few failed requests, for evidence. */
  readonly failures: readonly { readonly url: string; readonly error: string }[];
  readonly fullHash: boolean;
  readonly checks: readonly ProbeCheckResult[];
  /** Header-policy findings (cache policy, disclosure) on responses seen in this region. */
  readonly headerFindings: readonly Finding[];
  /** Checks not run: the probe's budget was spent or its circuit breaker open. */
  readonly skippedChecks: number;
  readonly error?: string;
}

/** The parts of a release pin the planner reads (`ReleasePin` fits). */
export interface PinnedRelease {
  readonly version: string;
  readonly manifestSha256: string;
  readonly entries: Readonly<Record<string, string>>;
  readonly artifacts: Readonly<
    Record<
      string,
      {
        readonly size?: number;
        readonly etag?: string;
        readonly rebaselines?: readonly {
          readonly from: { readonly etag?: string };
          readonly to: { readonly etag?: string };
        }[];
      }
    >
  >;
}

export interface RegionChecksInput {
  readonly baseUrl: string;
  /** Watched releases, newest first, with their pins when pinned. */
  readonly releases: readonly { readonly version: string; readonly pin?: PinnedRelease }[];
  /** The cache-bypassing URL for a URL (ORIGIN_BASE_URL, or a unique query string). */
  readonly bypassUrl: (url: string) => string;
  readonly requestTimeoutMs: number;
  /** Selects where the full-hash round starts: e.g. the number of intervals since the epoch. */
  readonly rotationRound: number;
  readonly fullHashBytes?: number;
}

/** The checks of every sweep, and the extra ones of a full-hash round. */
export interface RegionChecks {
  readonly everySweep: readonly ProbeCheck[];
  readonly fullHash: readonly ProbeCheck[];
}

export function planRegionChecks(input: RegionChecksInput): RegionChecks {
  const checks = new Map<string, ProbeCheck>();
  const add = (check: ProbeCheck) => {
    if (!checks.has(check.url)) checks.set(check.url, check);
  };
  const indexUrl = indexJsonUrl(input.baseUrl);
  add({
    url: indexUrl,
    method: 'GET',
    purpose: 'index',
    expected: {},
    bypassUrl: input.bypassUrl(indexUrl),
  });

  const [newest] = input.releases;
  const newestPin = newest?.pin;
  if (newest && newestPin) {
    const url = manifestUrls(input.baseUrl, newest.version).shasums;
    add({
      url,
      method: 'GET',
      purpose: 'manifest',
      release: newest.version,
      expected: { sha256: newestPin.manifestSha256 },
      bypassUrl: input.bypassUrl(url),
    });
    for (const name of cacheSampleOf(newestPin)) {
      const artifact = artifactUrl(input.baseUrl, newest.version, name);
      add({
        url: artifact,
        method: 'GET',
        purpose: 'cache-sample',
        release: newest.version,
        expected: expectedOf(newestPin, name),
        bypassUrl: input.bypassUrl(artifact),
      });
    }
  }
  for (const { version, pin } of input.releases) {
    if (!pin) continue;
    add({
      url: manifestUrls(input.baseUrl, version).shasums,
      method: 'GET',
      purpose: 'manifest',
      release: version,
      expected: { sha256: pin.manifestSha256 },
    });
  }
  for (const { version, pin } of input.releases) {
    if (!pin) continue;
    for (const name of Object.keys(pin.artifacts).sort()) {
      if (pin.entries[name] === undefined) continue;
      add({
        url: artifactUrl(input.baseUrl, version, name),
        method: 'HEAD',
        purpose: 'metadata',
        release: version,
        expected: expectedOf(pin, name),
      });
    }
  }

  const fullHash: ProbeCheck[] = [];
  if (newest && newestPin) {
    const names = fullHashSelection(newestPin, input.rotationRound, input.fullHashBytes);
    for (const name of names) {
      const size = newestPin.artifacts[name]?.size ?? 0;
      fullHash.push({
        url: artifactUrl(input.baseUrl, newest.version, name),
        method: 'GET',
        purpose: 'full-hash',
        release: newest.version,
        expected: expectedOf(newestPin, name),
        timeoutMs: input.requestTimeoutMs + Math.ceil((size / MIN_HASH_BYTES_PER_SECOND) * 1000),
      });
    }
  }
  return { everySweep: [...checks.values()], fullHash };
}

/**
 * One region's checks: a full-hash GET replaces the HEAD of the same URL, and a URL already
 * fetched by GET (the cache sample) is not fetched twice.
 */
export function checksForRegion(planned: RegionChecks, fullHash: boolean): ProbeCheck[] {
  if (!fullHash) return [...planned.everySweep];
  const byUrl = new Map(planned.everySweep.map((check) => [check.url, check]));
  for (const check of planned.fullHash) {
    const existing = byUrl.get(check.url);
    if (existing === undefined || existing.method === 'HEAD') byUrl.set(check.url, check);
  }
  return [...byUrl.values()];
}

/** Due when the region never hashed in full, or not within the interval. */
export function isFullHashDue(
  lastFullHashAt: string | undefined,
  now: Date,
  intervalMs = FULL_HASH_INTERVAL_MS,
): boolean {
  if (lastFullHashAt === undefined) return true;
  const last = Date.parse(lastFullHashAt);
  return Number.isNaN(last) || now.getTime() - last >= intervalMs;
}

/** The round a time falls in: the start of the full-hash selection moves on each round. */
export function rotationRoundOf(now: Date, intervalMs = FULL_HASH_INTERVAL_MS): number {
  return Math.floor(now.getTime() / intervalMs);
}

function expectedOf(pin: PinnedRelease, name: string): ExpectedResponse {
  const sha256 = pin.entries[name];
  const meta = pin.artifacts[name];
  const proven = (meta?.rebaselines ?? []).flatMap((record) => [record.from.etag, record.to.etag]);
  const routineEtags = [
    ...new Set(proven.filter((etag): etag is string => etag !== undefined && etag !== meta?.etag)),
  ];
  return {
    ...(sha256 !== undefined && { sha256 }),
    ...(meta?.size !== undefined && { size: meta.size }),
    ...(meta?.etag !== undefined && { etag: meta.etag }),
    ...(routineEtags.length > 0 && { routineEtags }),
  };
}

/** The newest release's smallest pinned artifacts (the sweep's own sample rule). */
function cacheSampleOf(pin: PinnedRelease): string[] {
  return Object.entries(pin.artifacts)
    .filter(
      ([name, meta]) =>
        pin.entries[name] !== undefined &&
        meta.size !== undefined &&
        meta.size <= CACHE_SAMPLE_MAX_BYTES,
    )
    .sort(([a, x], [b, y]) => (x.size ?? 0) - (y.size ?? 0) || a.localeCompare(b))
    .slice(0, CACHE_SAMPLE_ARTIFACTS)
    .map(([name]) => name);
}

/**
 * Artifacts of one full-hash round: in name order from `round mod n`, while they fit in
 * the byte cap (the first always does). Every artifact starts a round once in n rounds, so
 * each is hashed in every region at least once in n intervals.
 */
export function fullHashSelection(
  pin: PinnedRelease,
  round: number,
  maxBytes = FULL_HASH_BYTES_PER_ROUND,
): string[] {
  const names = Object.keys(pin.entries)
    .filter((name) => pin.artifacts[name] !== undefined)
    .sort();
  if (names.length === 0) return [];
  const start = ((round % names.length) + names.length) % names.length;
  const selected: string[] = [];
  let bytes = 0;
  for (let i = 0; i < names.length; i += 1) {
    const name = names[(start + i) % names.length] as string;
    const size = pin.artifacts[name]?.size ?? 0;
    if (selected.length > 0 && bytes + size > maxBytes) break;
    selected.push(name);
    bytes += size;
  }
  return selected;
}
