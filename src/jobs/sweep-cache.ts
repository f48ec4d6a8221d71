/**
 * The cache differential: for a sample of URLs (index.json, the newest release's manifest,
 * its smallest artifacts) fetch the normal, cacheable response and a cache-bypassing one
 * (from ORIGIN_BASE_URL when set, else with a query string unique to the sweep, which the
 * edge cache keys on) and compare them. Bytes decide: the same bytes under another ETag
 * (the release worker's origin fallback) are no finding. What users receive decides the
 * severity: an artifact whose bytes fail its signed hash on either URL is
 * `artifact-hash-mismatch` (P0), and a cache that differs from the origin adds
 * `cache-poisoned`, never instead. A cached index.json that is exactly an older index is a
 * missing purge (`cache-stale`, core/cache-staleness.ts), anything else `cache-poisoned`.
 * Also the error canary: one request per sweep for a path that must 404, so a cacheable
 * error (a 404 with the success policy) is seen before a new release's files stay "missing".
 */
import { sha256Hex } from '../core/digest';
import {
  classifyCachedIndex,
  isExplainedByStaleCopy,
  staleCopyFinding,
  type CopyEvidence,
} from '../core/cache-staleness';
import { fingerprintOf, type Finding } from '../core/findings';
import { errorCanaryUrl } from '../core/header-policy';
import { hashMismatchFinding } from '../core/hash-verdict';
import { artifactUrl, cacheBypassUrl, indexJsonUrl, manifestUrls } from '../core/manifest-urls';
import type { ReleasePin } from '../adapters/pin-store';
import type { StalenessStore } from '../adapters/staleness-store';
import {
  addFinding,
  canRequest,
  observeError,
  observeResponse,
  type SweepContext,
} from './sweep-context';

const SMALL_BODY_BYTES = 64 * 1024 * 1024;
const SAMPLE_ARTIFACTS = 2;

interface Observation {
  readonly url: string;
  readonly status: number;
  readonly sha256: string;
  readonly bytes: number;
  readonly etag?: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly redirects: readonly { from: string; to: string; status: number }[];
  readonly attempts: number;
}

export interface CacheDifferentialOptions {
  /** The newest version index.json listed before this sweep (the index history). */
  readonly highestSeen?: string;
  /** Where a stale copy's first sighting is kept; without it a stale copy never escalates. */
  readonly staleness?: StalenessStore;
}

export async function sweepCacheDifferential(
  ctx: SweepContext,
  newest: { version: string; pin?: ReleasePin } | undefined,
  options: CacheDifferentialOptions = {},
): Promise<void> {
  const base = ctx.config.DIST_BASE_URL;
  await compareIndex(ctx, indexJsonUrl(base), options);
  if (!newest) return;
  await compareManifest(
    ctx,
    manifestUrls(base, newest.version).shasums,
    ctx.config.MAX_MANIFEST_BYTES,
    newest.version,
  );
  const pin = newest.pin;
  if (!pin) return;
  const artifacts = Object.entries(pin.artifacts)
    .filter(([name]) => pin.entries[name] !== undefined)
    .filter(([, artifact]) => artifact.size !== undefined && artifact.size <= SMALL_BODY_BYTES)
    .sort(([, a], [, b]) => (a.size ?? 0) - (b.size ?? 0))
    .slice(0, SAMPLE_ARTIFACTS);
  for (const [name, artifact] of artifacts) {
    await compareArtifact(ctx, {
      url: artifactUrl(base, newest.version, name),
      version: newest.version,
      name,
      signedSha256: pin.entries[name] as string,
      ...(artifact.size !== undefined && { pinnedBytes: artifact.size }),
    });
  }
}

/**
 * One request per sweep for a path that must not exist: its answer goes through the header
 * policy like every other, which wants the error policy on a 404. A 404 that the edge may
 * cache is a `cache-policy-violation` on the canary URL.
 */
export async function sweepErrorCanary(ctx: SweepContext): Promise<void> {
  if (!canRequest(ctx, 'error canary')) return;
  const result = await ctx.client.head(errorCanaryUrl(ctx.config.DIST_BASE_URL));
  if (result.ok) observeResponse(ctx, result.value);
  else observeError(ctx, result.error);
}

/**
 * A regional `cache-poisoned` on a URL this sweep judged stale, in which every region named
 * was served that same stale copy, is that missing purge: it joins the `cache-stale` notice
 * (with its regions) instead of standing as poisoning. Runs after the regional step.
 */
export function reconcileRegionalStaleness(ctx: SweepContext): void {
  for (const stale of [...ctx.findings.values()]) {
    if (stale.kind !== 'cache-stale') continue;
    const key = fingerprintOf('cache-poisoned', stale.subject);
    const regional = ctx.findings.get(key);
    if (regional === undefined || !isExplainedByStaleCopy(regional, stale)) continue;
    ctx.findings.delete(key);
    const regions = [...new Set([...(stale.regions ?? []), ...(regional.regions ?? [])])];
    ctx.findings.set(stale.fingerprint, {
      ...stale,
      regions,
      evidence: { ...stale.evidence, regional: regional.evidence },
    } satisfies Finding);
  }
}

async function compareIndex(
  ctx: SweepContext,
  url: string,
  options: CacheDifferentialOptions,
): Promise<void> {
  if (!canRequest(ctx, 'cache-differential', 2)) return;
  const maxBytes = ctx.config.MAX_INDEX_BYTES;
  const bypassUrl = bypassOf(ctx, url);
  const cached = await ctx.client.getBytes(url, { maxBytes });
  const origin = await ctx.client.getBytes(bypassUrl, { maxBytes });
  if (!cached.ok) observeError(ctx, cached.error);
  else observeResponse(ctx, cached.value);
  if (!origin.ok) observeError(ctx, origin.error);
  else observeResponse(ctx, origin.value);
  if (!cached.ok || !origin.ok) return;

  const side = async (value: typeof cached.value, at?: string): Promise<CopyEvidence> => ({
    sha256: await sha256Hex(value.bytes),
    bytes: value.bytes.byteLength,
    etag: value.headers['etag'] ?? null,
    headers: value.headers,
    ...(at !== undefined && { url: at }),
  });
  const cachedSide = await side(cached.value);
  const originSide = await side(origin.value, bypassUrl);
  if (cachedSide.sha256 === originSide.sha256) {
    // The same bytes (an ETag of another form is the origin fallback, not poisoning).
    await forgetStaleness(options.staleness, url);
    return;
  }
  const verdict = classifyCachedIndex(decode(cached.value.bytes), decode(origin.value.bytes), {
    maxBytes,
    ...(options.highestSeen !== undefined && { highestSeen: options.highestSeen }),
  });
  if (verdict.kind === 'stale') {
    const since = await staleSince(ctx, options.staleness, url, cachedSide.sha256);
    const finding = staleCopyFinding({
      url,
      verdict,
      cached: cachedSide,
      origin: originSide,
      staleSince: since,
      successPolicy: ctx.config.CACHE_CONTROL_SUCCESS,
      now: ctx.now,
    });
    if (!ctx.findings.has(finding.fingerprint)) ctx.findings.set(finding.fingerprint, finding);
    return;
  }
  await forgetStaleness(options.staleness, url);
  addFinding(ctx, {
    kind: 'cache-poisoned',
    subject: url,
    summary: `The cached response for ${url} differs from the origin's (${differencesOf(cachedSide, originSide).join(', ')}), and it is not an older index: ${verdict.kind === 'different' ? verdict.reason : 'same'}.`,
    expected: originSide.sha256,
    observed: cachedSide.sha256,
    evidence: {
      differences: differencesOf(cachedSide, originSide),
      notStaleBecause: verdict.kind === 'different' ? verdict.reason : null,
      cached: cachedSide,
      origin: originSide,
    },
  });
}

/** When the current stale copy was first seen stale (now, when first seen or not stored). */
async function staleSince(
  ctx: SweepContext,
  store: StalenessStore | undefined,
  url: string,
  cachedSha256: string,
): Promise<Date> {
  if (store === undefined) return ctx.now;
  try {
    const record = await store.get(url);
    if (record !== undefined && record.cachedSha256 === cachedSha256) {
      const since = new Date(record.since);
      return since.getTime() <= ctx.now.getTime() ? since : ctx.now;
    }
    await store.put(url, { since: ctx.now.toISOString(), cachedSha256 });
  } catch (error) {
    // KV down costs only the escalation: the notice is raised all the same.
    console.warn(`cache differential: staleness record unavailable: ${messageOf(error)}`);
  }
  return ctx.now;
}

async function forgetStaleness(store: StalenessStore | undefined, url: string): Promise<void> {
  if (store === undefined) return;
  try {
    if ((await store.get(url)) !== undefined) await store.clear(url);
  } catch (error) {
    console.warn(`cache differential: staleness record unavailable: ${messageOf(error)}`);
  }
}

async function compareManifest(
  ctx: SweepContext,
  url: string,
  maxBytes: number,
  release: string,
): Promise<void> {
  if (!canRequest(ctx, 'cache-differential', 2)) return;
  const bypassUrl = bypassOf(ctx, url);
  const cached = await observe(ctx, url, maxBytes, release);
  const origin = await observe(ctx, bypassUrl, maxBytes, release);
  if (!cached || !origin) return;
  const differences = differencesOf(cached, origin);
  // The manifest's own judgement (signature, pin) is sweep-manifest.ts's; here only the cache.
  if (!differences.includes('bytes') && !differences.includes('length')) return;
  addFinding(ctx, poisonedFinding(url, release, cached, origin, differences));
}

interface SampledArtifact {
  readonly url: string;
  readonly version: string;
  readonly name: string;
  readonly signedSha256: string;
  readonly pinnedBytes?: number;
}

async function compareArtifact(ctx: SweepContext, artifact: SampledArtifact): Promise<void> {
  if (!canRequest(ctx, 'cache-differential', 2)) return;
  const { url, version } = artifact;
  const bypassUrl = bypassOf(ctx, url);
  const cached = await observe(ctx, url, SMALL_BODY_BYTES, version);
  const origin = await observe(ctx, bypassUrl, SMALL_BODY_BYTES, version);
  const job = {
    version,
    name: artifact.name,
    url,
    expectedSha256: artifact.signedSha256,
    ...(artifact.pinnedBytes !== undefined && { expectedBytes: artifact.pinnedBytes }),
    reason: 'rotation' as const,
    sweepId: ctx.sweepId,
  };
  const brief = (seen: Observation | undefined) =>
    seen === undefined ? null : { sha256: seen.sha256, bytes: seen.bytes, url: seen.url };
  if (cached !== undefined && cached.sha256 !== artifact.signedSha256) {
    addFinding(
      ctx,
      hashMismatchFinding(job, cached, {
        seenBy: 'cache-differential',
        servedAt: 'the plain URL users download',
        origin: brief(origin),
      }),
    );
  } else if (origin !== undefined && origin.sha256 !== artifact.signedSha256) {
    const finding = hashMismatchFinding(job, origin, {
      seenBy: 'cache-differential',
      servedAt: 'the cache-bypassing URL',
      cached: brief(cached),
    });
    addFinding(ctx, {
      ...finding,
      summary: `${artifact.name} of ${version} is served with bytes that do not match its signed SHA-256 at ${bypassUrl}: anyone who downloads it with a query string (or a cache miss) gets them. ${finding.summary}`,
    });
  }
  if (!cached || !origin) return;
  const differences = differencesOf(cached, origin);
  if (!differences.includes('bytes') && !differences.includes('length')) return;
  addFinding(ctx, poisonedFinding(url, version, cached, origin, differences));
}

function poisonedFinding(
  url: string,
  release: string,
  cached: Observation,
  origin: Observation,
  differences: readonly string[],
) {
  return {
    kind: 'cache-poisoned' as const,
    subject: url,
    release,
    summary: `The cached response for ${url} differs from the origin's (${differences.join(', ')}).`,
    expected: origin.sha256,
    observed: cached.sha256,
    evidence: {
      differences,
      cached: {
        sha256: cached.sha256,
        bytes: cached.bytes,
        etag: cached.etag ?? null,
        headers: cached.headers,
      },
      origin: {
        sha256: origin.sha256,
        bytes: origin.bytes,
        etag: origin.etag ?? null,
        headers: origin.headers,
        url: origin.url,
      },
    },
  };
}

async function observe(
  ctx: SweepContext,
  url: string,
  maxBytes: number,
  release?: string,
): Promise<Observation | undefined> {
  // Capped like every other read: an endless or huge body would otherwise be hashed until
  // the deadline, on both the cached and the origin side.
  const result = await ctx.client.hashBody(url, { expectedBytes: maxBytes });
  if (!result.ok) {
    observeError(ctx, result.error, release);
    return undefined;
  }
  observeResponse(ctx, result.value, release);
  const etag = result.value.headers['etag'];
  return {
    url,
    status: result.value.status,
    sha256: result.value.sha256,
    bytes: result.value.bytes,
    ...(etag !== undefined && { etag }),
    headers: result.value.headers,
    redirects: result.value.redirects,
    attempts: result.value.attempts,
  };
}

function differencesOf(
  cached: { sha256: string; bytes: number; etag?: string | null },
  origin: { sha256: string; bytes: number; etag?: string | null },
): string[] {
  const differences: string[] = [];
  if (cached.sha256 !== origin.sha256) differences.push('bytes');
  if (cached.bytes !== origin.bytes) differences.push('length');
  const [a, b] = [cached.etag ?? undefined, origin.etag ?? undefined];
  if (a !== undefined && b !== undefined && a !== b) differences.push('ETag');
  return differences;
}

function bypassOf(ctx: SweepContext, url: string): string {
  return cacheBypassUrl(url, ctx.config.DIST_BASE_URL, ctx.config.ORIGIN_BASE_URL, ctx.sweepId);
}

/** UTF-8 as served (a byte order mark kept); invalid bytes make the copy invalid, not equal. */
function decode(bytes: Uint8Array): string {
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch {
    return '\uFFFD';
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : 'unknown error';
}
