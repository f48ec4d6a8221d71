/**
 * Public answers through the Workers Cache API, and the headers that say which snapshot
 * an answer comes from. An answer is cached under its own URL (the route's path, only the
 * query parameters the route reads, normalised) plus the snapshot's id, for the
 * `max-age=30` it already declared: the same snapshot is rendered at most once per 30 s
 * per data centre, and a new snapshot is a new key, so nobody is served an older snapshot
 * from the cache once the pointer has moved. Only answers to requests without credentials
 * are stored. (The Cache API does nothing on workers.dev hostnames: deploy on a route.)
 */
import type { SnapshotStamp } from './snapshot-model';

/** What public pages declare: the page changes with every sweep (5 min) and incident. */
export const PUBLIC_CACHE_CONTROL = 'public, max-age=30';

/** The cache key of a public answer: origin, path, the route's own query, the snapshot. */
export function cacheKeyOf(
  requestUrl: string,
  snapshotId: string,
  query: Readonly<Record<string, string>> = {},
): Request {
  const url = new URL(requestUrl);
  const key = new URL(url.pathname, url.origin);
  for (const name of Object.keys(query).sort()) key.searchParams.set(name, query[name] ?? '');
  key.searchParams.set('__snapshot', snapshotId);
  return new Request(key.toString(), { method: 'GET' });
}

/** The headers that date an answer: when its snapshot was taken, and which one. */
export function snapshotHeaders(stamp: SnapshotStamp | undefined): Record<string, string> {
  if (stamp === undefined) return { 'x-snapshot': 'none' };
  return {
    'last-modified': new Date(stamp.takenAt).toUTCString(),
    'x-snapshot-taken-at': stamp.takenAt,
    'x-snapshot-version': String(stamp.version),
  };
}

/** A copy whose headers can be changed (a cached response's are immutable). */
function mutable(response: Response): Response {
  return new Response(response.body, response);
}

export async function cachedAnswer(
  cache: Cache | undefined,
  key: Request,
): Promise<Response | undefined> {
  if (cache === undefined) return undefined;
  try {
    const hit = await cache.match(key);
    return hit === undefined ? undefined : mutable(hit);
  } catch {
    return undefined; // A cache that fails is a miss, never an error page.
  }
}

/**
 * Stores a 200 answer before it is sent. Awaited rather than left to `waitUntil`: a miss
 * happens once per 30 s per answer and data centre, and nothing is left running after the
 * response (which a test's storage reset, or an isolate's end, would cut off).
 */
export async function storeAnswer(
  cache: Cache | undefined,
  key: Request,
  response: Response,
): Promise<void> {
  if (cache === undefined || response.status !== 200) return;
  try {
    await cache.put(key, response.clone());
  } catch {
    // Not cached: the next request renders it again.
  }
}

/** `caches.default` where the runtime has it. */
export function defaultPublicCache(): Cache | undefined {
  return typeof caches === 'undefined' ? undefined : caches.default;
}
