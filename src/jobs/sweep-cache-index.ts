/**
 * The cache differential of index.json: the cached copy against the cache-bypassing one.
 * The same bytes (under any ETag) are no finding; exactly an older index (core/
 * cache-staleness.ts) is a missing purge, `cache-stale`, whose first sighting is kept
 * (KV `stale:<url>`) so it is raised to P2 once it outlives `s-maxage` plus a margin on the
 * monitor's own clock; anything else is `cache-poisoned`. Regional probes that were served
 * the same stale copy join the notice (`reconcileRegionalStaleness`, after the probes ran).
 */
import { sha256Hex } from '../core/digest';
import {
  classifyCachedIndex,
  isExplainedByStaleCopy,
  staleCopyFinding,
  type CopyEvidence,
} from '../core/cache-staleness';
import { fingerprintOf, type Finding } from '../core/findings';
import type { StalenessStore } from '../adapters/staleness-store';
import { cacheBypassUrl } from '../core/manifest-urls';
import {
  addFinding,
  canRequest,
  observeError,
  observeResponse,
  type SweepContext,
} from './sweep-context';

export interface CacheDifferentialOptions {
  /** The newest version index.json listed before this sweep (the index history). */
  readonly highestSeen?: string;
  /** Where a stale copy's first sighting is kept; without it a stale copy never escalates. */
  readonly staleness?: StalenessStore;
}

export async function compareIndex(
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

/** The fields in which two responses differ (shared with sweep-cache.ts). */
export function differencesOf(
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

export function bypassOf(ctx: SweepContext, url: string): string {
  return cacheBypassUrl(url, ctx.config.DIST_BASE_URL, ctx.config.ORIGIN_BASE_URL, ctx.sweepId);
}
