/**
 * The cache differential: for a sample of URLs (index.json, the newest release's manifest,
 * its smallest artifacts) fetch the normal, cacheable response and a cache-bypassing one
 * (from ORIGIN_BASE_URL when set, else with a query string unique to the sweep, which the
 * edge cache keys on) and compare bytes, ETag and length. A difference is `cache-poisoned`.
 */
import { artifactUrl, cacheBypassUrl, indexJsonUrl, manifestUrls } from '../core/manifest-urls';
import type { ReleasePin } from '../adapters/pin-store';
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
  readonly sha256: string;
  readonly bytes: number;
  readonly etag?: string;
  readonly headers: Readonly<Record<string, string>>;
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
    sha256: result.value.sha256,
    bytes: result.value.bytes,
    ...(etag !== undefined && { etag }),
    headers: result.value.headers,
  };
}

async function compareOne(
  ctx: SweepContext,
  url: string,
  maxBytes: number,
  release?: string,
): Promise<void> {
  if (!canRequest(ctx, 'cache-differential', 2)) return;
  const bypassUrl = cacheBypassUrl(
    url,
    ctx.config.DIST_BASE_URL,
    ctx.config.ORIGIN_BASE_URL,
    ctx.sweepId,
  );
  const cached = await observe(ctx, url, maxBytes, release);
  const origin = await observe(ctx, bypassUrl, maxBytes, release);
  if (!cached || !origin) return;
  const differences: string[] = [];
  if (cached.sha256 !== origin.sha256) differences.push('bytes');
  if (cached.bytes !== origin.bytes) differences.push('length');
  if (cached.etag !== undefined && origin.etag !== undefined && cached.etag !== origin.etag)
    differences.push('ETag');
  if (differences.length === 0) return;
  addFinding(ctx, {
    kind: 'cache-poisoned',
    subject: url,
    ...(release !== undefined && { release }),
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
        url: bypassUrl,
      },
    },
  });
}

export async function sweepCacheDifferential(
  ctx: SweepContext,
  newest: { version: string; pin?: ReleasePin } | undefined,
): Promise<void> {
  const base = ctx.config.DIST_BASE_URL;
  await compareOne(ctx, indexJsonUrl(base), ctx.config.MAX_INDEX_BYTES);
  if (!newest) return;
  await compareOne(
    ctx,
    manifestUrls(base, newest.version).shasums,
    ctx.config.MAX_MANIFEST_BYTES,
    newest.version,
  );
  const artifacts = Object.entries(newest.pin?.artifacts ?? {})
    .filter(([, pin]) => pin.size !== undefined && pin.size <= SMALL_BODY_BYTES)
    .sort(([, a], [, b]) => (a.size ?? 0) - (b.size ?? 0))
    .slice(0, SAMPLE_ARTIFACTS);
  for (const [name] of artifacts) {
    await compareOne(
      ctx,
      artifactUrl(base, newest.version, name),
      SMALL_BODY_BYTES,
      newest.version,
    );
  }
}
