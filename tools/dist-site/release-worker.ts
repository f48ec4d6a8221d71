/**
 * The release worker as the fixture imitates it: what it answers for a request once it
 * reaches the worker (after the edge cache, see edge-cache.ts). Learned from
 * nodejs/release-cloudflare-worker (commit 6a0eb4b), never copied from it:
 *
 * - `src/routes/index.ts`: OPTIONS on any path is answered first; GET and HEAD go to R2 with
 *   the origin as fallback; `latest*` paths are substituted and routed again; any other
 *   method is a 405 (`src/middleware/methodNotAllowedMiddleware.ts`: no headers, no body).
 * - `src/middleware/optionsMiddleware.ts`: 200, `allow: GET, HEAD, POST, OPTIONS`, the error
 *   cache policy.
 * - `src/middleware/subtituteMiddleware.ts` + `src/constants/latestVersions.json`:
 *   `latest`, `latest-v24.x`, `latest-krypton` and `node-latest.tar.gz` are served in place
 *   (no redirect) as the version they stand for; a listing keeps the requested path.
 * - `src/middleware/r2Middleware.ts` + `src/utils/path.ts`: a path ending in `/`, or whose last
 *   segment has no extension (or a one-letter or numeric one, as `v24.11.1`, `latest-v24.x`),
 *   is a directory; without its trailing slash it is a 301 to the same URL plus `/`; a
 *   listing has `content-type: text/html`, the success policy and the newest file's
 *   Last-Modified; a missing one is `404 Directory not found`.
 * - `src/responses/fileNotFound.ts`: `404 File not found`, the error policy (no body on HEAD).
 * - `src/middleware/originMiddleware.ts`: in an R2 outage files come from the origin (nginx
 *   ETags, the success policy whatever the status); directories with the error policy.
 */
import type { AttackState } from './attack-state.ts';
import { ERROR_CACHE_CONTROL, SUCCESS_CACHE_CONTROL } from './constants.ts';
import { readDirectory, renderDirectoryListing } from './directory-listing.ts';
import { CACHE_TAGS, serveFile, type Backend, type FileServeOptions } from './file-responses.ts';
import { latestAliases } from './releases.ts';
import { safeDecode, type Resource } from './responses.ts';
import type { SiteContent } from './site-content.ts';

export interface WorkerContext {
  readonly content: SiteContent;
  readonly attacks: AttackState;
  /** Serve the other bytes `poison-cache` leaves in the cache (this request came through it). */
  readonly tampered: boolean;
  /** Send the worker's `cache-tag` headers (see FileServeOptions). */
  readonly cacheTags: boolean;
}

/** A file (served per request: 200, 206, 304 …) or a finished response. */
export type WorkerAnswer =
  | { readonly kind: 'file'; readonly resource: Resource; readonly options: FileServeOptions }
  | { readonly kind: 'response'; readonly response: Response };

/** The methods the worker's OPTIONS answer lists. */
export const WORKER_ALLOW = 'GET, HEAD, POST, OPTIONS';

const DIST_PREFIX = '/dist/';

export async function answerAsWorker(
  request: Request,
  url: URL,
  context: WorkerContext,
): Promise<WorkerAnswer> {
  const respond = (response: Response): WorkerAnswer => ({ kind: 'response', response });
  if (request.method === 'OPTIONS') {
    return respond(
      new Response(null, {
        headers: { Allow: WORKER_ALLOW, 'Cache-Control': ERROR_CACHE_CONTROL },
      }),
    );
  }
  if (request.method !== 'GET' && request.method !== 'HEAD') {
    return respond(new Response(null, { status: 405 }));
  }
  if (url.pathname === '/dist') return respond(permanentRedirect(`${url.href}/`));
  const requested = url.pathname.startsWith(DIST_PREFIX)
    ? safeDecode(url.pathname.slice(DIST_PREFIX.length))
    : undefined;
  if (requested === undefined) return respond(notFound(request, 'file', context, 'r2'));
  const { attacks, content } = context;
  const redirect = attacks.redirects.get(requested);
  if (redirect !== undefined) {
    return respond(
      new Response(null, {
        status: 302,
        headers: { Location: redirect, 'Cache-Control': SUCCESS_CACHE_CONTROL },
      }),
    );
  }
  const aliases = latestAliases(content.releases);
  const path = substituteLatest(requested, aliases);
  const backend: Backend = attacks.fallback.some((matches) => matches(path) || matches(requested))
    ? 'origin'
    : 'r2';
  if (attacks.dropped.has(requested)) return respond(notFound(request, 'file', context, backend));
  if (isDirectoryPath(path)) {
    if (!url.pathname.endsWith('/')) return respond(permanentRedirect(`${url.href}/`));
    const view = { attacks, tampered: context.tampered };
    const directory = await readDirectory(path.replace(/\/$/, ''), content, view, aliases);
    if (directory === undefined) return respond(notFound(request, 'directory', context, backend));
    const headers = new Headers({ 'Content-Type': 'text/html' });
    if (backend === 'r2') {
      headers.set('Last-Modified', directory.lastModified.toUTCString());
      headers.set('Cache-Control', SUCCESS_CACHE_CONTROL);
    } else {
      headers.set('Cache-Control', ERROR_CACHE_CONTROL);
    }
    if (context.cacheTags) {
      headers.set('Cache-Tag', backend === 'r2' ? CACHE_TAGS.directory : CACHE_TAGS.origin);
    }
    const body = request.method === 'GET' ? renderDirectoryListing(url.pathname, directory) : null;
    return respond(new Response(body, { headers }));
  }
  const resource = await content.resolve(path, { attacks, tampered: context.tampered });
  if (resource === undefined) return respond(notFound(request, 'file', context, backend));
  return { kind: 'file', resource, options: { backend, cacheTags: context.cacheTags } };
}

/** The response to this request for a worker answer. */
export function workerResponse(request: Request, answer: WorkerAnswer): Response {
  return answer.kind === 'file'
    ? serveFile(request, answer.resource, answer.options)
    : answer.response;
}

/** `latest-v24.x/x` → `v24.11.1/x`, `node-latest.tar.gz` → the newest source tarball. */
export function substituteLatest(path: string, aliases: ReadonlyMap<string, string>): string {
  const latest = aliases.get('latest');
  if (path === 'node-latest.tar.gz' && latest !== undefined) {
    return `${latest}/node-${latest}.tar.gz`;
  }
  const slash = path.indexOf('/');
  const first = slash < 0 ? path : path.slice(0, slash);
  const version = aliases.get(first);
  return version === undefined ? path : version + path.slice(first.length);
}

/** Whether the worker treats a path as a directory (see the header). */
export function isDirectoryPath(path: string): boolean {
  if (path === '' || path.endsWith('/')) return true;
  const last = path.slice(path.lastIndexOf('/') + 1);
  const dot = last.lastIndexOf('.');
  return dot < 0 || /^([a-z]|\d+)$/i.test(last.slice(dot + 1));
}

/** A 301 like `Response.redirect`: a Location and nothing else (mutable headers, though). */
function permanentRedirect(location: string): Response {
  return new Response(null, { status: 301, headers: { Location: location } });
}

function notFound(
  request: Request,
  what: 'file' | 'directory',
  context: WorkerContext,
  backend: Backend,
): Response {
  const cacheable = what === 'file' && context.attacks.cacheable404;
  const headers = new Headers({
    'Cache-Control': cacheable ? SUCCESS_CACHE_CONTROL : ERROR_CACHE_CONTROL,
  });
  if (context.cacheTags && backend === 'origin') headers.set('Cache-Tag', CACHE_TAGS.origin);
  if (request.method === 'HEAD') return new Response(null, { status: 404, headers });
  headers.set('Content-Type', 'text/plain;charset=UTF-8');
  const body = what === 'file' ? 'File not found' : 'Directory not found';
  return new Response(body, { status: 404, headers });
}
