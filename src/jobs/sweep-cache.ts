/**
 * The cache differential: for a sample of URLs (index.json, the newest release's manifest,
 * its smallest artifacts) fetch the normal, cacheable response and a cache-bypassing one
 * (from ORIGIN_BASE_URL when set, else with a query string unique to the sweep, which the
 * edge cache keys on) and compare them. Bytes decide: the same bytes under another ETag
 * (the release worker's origin fallback) are no finding. What users receive decides the
 * severity: an artifact whose bytes fail its signed hash on either URL is
 * `artifact-hash-mismatch` (P0), and a cache that differs from the origin adds
 * `cache-poisoned`, never instead. A cached index.json that is exactly an older index is a
 * missing purge (`cache-stale`, sweep-cache-index.ts), anything else `cache-poisoned`. The
 * error canary (sweep-error-canary.ts) is the per-sweep check of how errors are cached.
 */
import { hashMismatchFinding } from '../core/hash-verdict';
import { artifactUrl, indexJsonUrl, manifestUrls } from '../core/manifest-urls';
import type { ReleasePin } from '../adapters/pin-store';
import {
  bypassOf,
  compareIndex,
  differencesOf,
  type CacheDifferentialOptions,
} from './sweep-cache-index';
import {
  addFinding,
  canRequest,
  observeError,
  observeResponse,
  type SweepContext,
} from './sweep-context';

export { reconcileRegionalStaleness, type CacheDifferentialOptions } from './sweep-cache-index';
export { sweepErrorCanary } from './sweep-error-canary';

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
