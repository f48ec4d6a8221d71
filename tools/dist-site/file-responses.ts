/**
 * How the release worker serves a file, from R2 (its normal path) or from its origin fallback
 * (nginx behind `OriginMiddleware`), per request: HEAD, conditional requests (304, 412),
 * ranges (206, 416) and full answers, each with the headers and cache policy the worker sends.
 *
 * From nodejs/release-cloudflare-worker (commit 6a0eb4b): `src/providers/r2Provider.ts`
 * (headers of an R2 object; the success policy only on 200, the error policy on 206, 304 and
 * 412; the status from R2's conditional answer: 412 only when If-Unmodified-Since was sent,
 * else 304, so a failed If-Match is a 304), `src/middleware/r2Middleware.ts` (HEAD ignores
 * conditionals and ranges; an out-of-range request is a bare 416), `src/middleware/
 * originMiddleware.ts` (the fallback copies nginx's status, ETag and Last-Modified and sends
 * the success policy whatever the status, with `cache-tag: release-worker,release-worker:origin`).
 */
import { ERROR_CACHE_CONTROL, SUCCESS_CACHE_CONTROL } from './constants.ts';
import type { Resource } from './responses.ts';

/** Where the worker reads a file: R2, or its origin server when R2 fails. */
export type Backend = 'r2' | 'origin';

export interface FileServeOptions {
  readonly backend: Backend;
  /**
   * Send the worker's `cache-tag` header. The worker sets it on every file; Cloudflare's edge
   * removes it before visitors see a response, so only a worker without the edge in front
   * (`wrangler dev`) shows it.
   */
  readonly cacheTags: boolean;
}

/** The worker's cache-tag values per kind of answer. */
export const CACHE_TAGS = {
  file: 'release-worker,release-worker:file',
  origin: 'release-worker,release-worker:origin',
  directory: 'release-worker,release-worker:directory',
} as const;

/**
 * The ETag as each backend forms it: R2 sends its own quoted hash (the fixture's content
 * fingerprint), nginx `"<hex mtime>-<hex size>"` (mtime in seconds).
 */
export function etagFor(resource: Resource, backend: Backend): string {
  if (backend === 'r2') return resource.etag;
  const mtime = Math.floor(resource.lastModified.getTime() / 1000);
  return `"${mtime.toString(16)}-${resource.size.toString(16)}"`;
}

/** The file's own headers, before status, length and cache policy. */
function fileHeaders(resource: Resource, options: FileServeOptions): Headers {
  const headers = new Headers({
    'Content-Type': resource.contentType,
    ETag: etagFor(resource, options.backend),
    'Last-Modified': resource.lastModified.toUTCString(),
    'Accept-Ranges': 'bytes',
  });
  // R2 objects ending in .json carry the CORS header nginx used to send.
  if (options.backend === 'r2' && resource.contentType.startsWith('application/json')) {
    headers.set('Access-Control-Allow-Origin', '*');
  }
  if (options.cacheTags) {
    headers.set('Cache-Tag', options.backend === 'r2' ? CACHE_TAGS.file : CACHE_TAGS.origin);
  }
  return headers;
}

/** The Cache-Control the worker sends with a file answer of this status. */
function cachePolicy(status: number, backend: Backend): string {
  return backend === 'origin' || status === 200 ? SUCCESS_CACHE_CONTROL : ERROR_CACHE_CONTROL;
}

/** A 304 for a resource as the worker sends it: the file's headers, no body. */
export function notModifiedResponse(
  resource: Resource,
  options: FileServeOptions = { backend: 'r2', cacheTags: false },
): Response {
  const headers = fileHeaders(resource, options);
  headers.set('Cache-Control', cachePolicy(304, options.backend));
  return new Response(null, { status: 304, headers });
}

/** Answers a request for a file the way the worker does: 200, 206, 304, 412 or 416. */
export function serveFile(
  request: Request,
  resource: Resource,
  options: FileServeOptions = { backend: 'r2', cacheTags: false },
): Response {
  const headers = fileHeaders(resource, options);
  const etag = etagFor(resource, options.backend);
  const head = request.method === 'HEAD';
  const precondition = head
    ? undefined
    : evaluatePreconditions(request.headers, etag, resource.lastModified, options.backend);
  if (precondition !== undefined) {
    headers.set('Cache-Control', cachePolicy(precondition, options.backend));
    return new Response(null, { status: precondition, headers });
  }
  const range = head ? undefined : parseRange(request.headers.get('Range'), resource.size);
  if (range === 'unsatisfiable') {
    return options.backend === 'r2'
      ? new Response(null, { status: 416 })
      : new Response(null, {
          status: 416,
          headers: {
            'Content-Range': `bytes */${resource.size}`,
            'Cache-Control': SUCCESS_CACHE_CONTROL,
          },
        });
  }
  const status = range === undefined ? 200 : 206;
  const { start, end } = range ?? { start: 0, end: resource.size };
  headers.set('Cache-Control', cachePolicy(status, options.backend));
  headers.set('Content-Length', String(end - start));
  if (range !== undefined)
    headers.set('Content-Range', `bytes ${start}-${end - 1}/${resource.size}`);
  return new Response(head ? null : resource.body(start, end), { status, headers });
}

/** The R2 (or nginx) answer to conditional headers: 304, 412, or undefined to go on. */
function evaluatePreconditions(
  headers: Headers,
  etag: string,
  lastModified: Date,
  backend: Backend,
): 304 | 412 | undefined {
  const modified = Math.floor(lastModified.getTime() / 1000) * 1000;
  const ifMatch = headers.get('If-Match');
  const ifNoneMatch = headers.get('If-None-Match');
  const ifModifiedSince = httpDate(headers.get('If-Modified-Since'));
  const ifUnmodifiedSince = httpDate(headers.get('If-Unmodified-Since'));
  const matchFails = ifMatch !== null && !tagsMatch(ifMatch, etag);
  const unmodifiedFails = ifUnmodifiedSince !== undefined && modified > ifUnmodifiedSince;
  const noneMatchHits = ifNoneMatch !== null && tagsMatch(ifNoneMatch, etag);
  const notModifiedSince =
    ifNoneMatch === null && ifModifiedSince !== undefined && modified <= ifModifiedSince;
  if (backend === 'origin') {
    if (matchFails || unmodifiedFails) return 412;
    return noneMatchHits || notModifiedSince ? 304 : undefined;
  }
  // R2 returns the object without a body when any condition fails; the worker answers 412
  // only when If-Unmodified-Since was sent, 304 otherwise.
  if (!(matchFails || unmodifiedFails || noneMatchHits || notModifiedSince)) return undefined;
  return ifUnmodifiedSince !== undefined ? 412 : 304;
}

/** Whether a list of entity tags (or `*`) names `etag`; quotes and `W/` do not matter. */
function tagsMatch(list: string, etag: string): boolean {
  const bare = (tag: string) => tag.trim().replace(/^W\//, '').replaceAll('"', '');
  const wanted = bare(etag);
  return list.split(',').some((tag) => bare(tag) === '*' || bare(tag) === wanted);
}

function httpDate(value: string | null): number | undefined {
  if (value === null) return undefined;
  const time = Date.parse(value);
  return Number.isNaN(time) ? undefined : time;
}

/** A single `bytes=` range, resolved against `size`; undefined when absent or multi-range. */
export function parseRange(
  header: string | null,
  size: number,
): { start: number; end: number } | 'unsatisfiable' | undefined {
  if (header === null) return undefined;
  const match = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!match || (match[1] === '' && match[2] === '')) return undefined;
  const [first, last] = [match[1] ?? '', match[2] ?? ''];
  if (first === '') {
    const suffix = Math.min(Number(last), size);
    return suffix === 0 ? 'unsatisfiable' : { start: size - suffix, end: size };
  }
  const start = Number(first);
  const end = last === '' ? size : Math.min(Number(last) + 1, size);
  return start >= size || end <= start ? 'unsatisfiable' : { start, end };
}
